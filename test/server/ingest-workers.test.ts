/**
 * The same ingest contract with parsing and validation in worker threads (INGEST_WORKERS), as
 * the benchmark and a 2-core deployment run it.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collector, ingestAuth, readAuth, sqliteBackend } from './harness.js';
import { record, session, uid } from './records.js';

describe('collector with ingest workers', () => {
  const backend = sqliteBackend();
  let app: FastifyInstance;
  beforeAll(async () => {
    await backend.setup();
    app = collector(backend.store(), { ingestWorkers: 2 });
    await app.ready();
  }, 60_000); // workers load the TypeScript sources themselves: slow on a busy machine
  afterAll(async () => {
    await app?.close();
    await backend.teardown();
  });
  const post = (payload: unknown) =>
    app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: ingestAuth,
      payload: payload as Record<string, unknown>,
    });

  it('stores valid records, rejects bad ones, reports duplicates', async () => {
    const sid = uid('s');
    const records = session(sid, 1_764_500_000_000, { rekeys: 2 });
    const bad = record('handshake', { sessionId: sid, seq: 99 });
    bad.kind = 'telepathy';
    const results = await Promise.all([post({ records: [...records, bad] }), post({ records })]);
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([200, 400]);
    const bodies = results.map(
      (r) => r.json() as { accepted: string[]; duplicates: string[]; rejected: { path: string }[] },
    );
    expect(bodies.flatMap((b) => b.accepted).sort()).toEqual(
      records.map((r) => r.id as string).sort(),
    );
    expect(bodies.flatMap((b) => b.rejected)).toEqual([
      expect.objectContaining({ index: records.length, path: '/kind' }),
    ]);
    const { timeline } = (
      await app.inject({ method: 'GET', url: `/v1/sessions/${sid}`, headers: readAuth })
    ).json();
    expect(timeline.map((t: { record: unknown }) => t.record)).toEqual(records);
  });

  it('answers 400 to invalid JSON and a malformed envelope', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...ingestAuth, 'content-type': 'application/json' },
      payload: '{"records":',
    });
    expect(bad.statusCode).toBe(400);
    expect((await post({ records: [] })).json()).toMatchObject({
      error: 'malformed batch',
      details: [{ path: '/records' }],
    });
  });
});
