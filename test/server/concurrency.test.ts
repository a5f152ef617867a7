/**
 * Several collector processes on one database: the same records posted to two instances at once
 * are stored once, acknowledged by exactly one instance, and folded into the summary once.
 * On PostgreSQL the two instances have separate pools (as two processes would); on SQLite they
 * open the same file through separate connections.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends, collector, ingestAuth, readAuth } from './harness.js';
import { session, uid } from './records.js';

describe.each(backends())('two collectors on one $name database', (backend) => {
  let a: FastifyInstance;
  let b: FastifyInstance;

  beforeAll(async () => {
    await backend.setup();
    a = collector(backend.store());
    b = collector(backend.store());
    // Both run migrations at the same moment (PostgreSQL: under an advisory lock).
    await Promise.all([a.ready(), b.ready()]);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await backend.teardown();
  });

  it('stores concurrently posted duplicates exactly once', async () => {
    // 40 sessions of 8 records, cut into batches of 40 records that each mix several sessions.
    const sessions = Array.from({ length: 40 }, () => uid('s'));
    const all = sessions.flatMap((sid, i) =>
      session(sid, 1_764_400_000_000 + i, { rekeys: 2, violation: i % 4 === 0 }),
    );
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < all.length; i += 40) batches.push(all.slice(i, i + 40));
    // Every batch goes to both instances, twice, all in flight together, in different orders.
    const send = async (app: FastifyInstance, batch: Record<string, unknown>[]) => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/events',
        headers: ingestAuth,
        payload: { records: batch },
      });
      expect(res.statusCode).toBe(200);
      const body = res.json() as { accepted: string[]; duplicates: string[] };
      expect(body.accepted.length + body.duplicates.length).toBe(batch.length);
      return body;
    };
    const responses = await Promise.all([
      ...batches.map((batch) => send(a, batch)),
      ...[...batches].reverse().map((batch) => send(b, batch)),
      ...batches.map((batch) => send(b, [...batch].reverse())),
      ...[...batches].reverse().map((batch) => send(a, batch)),
    ]);
    const acceptedCount = new Map<string, number>();
    for (const body of responses) {
      for (const id of body.accepted) acceptedCount.set(id, (acceptedCount.get(id) ?? 0) + 1);
    }
    expect(acceptedCount.size).toBe(all.length);
    expect([...acceptedCount.values()].every((n) => n === 1)).toBe(true);

    for (const [i, sid] of sessions.entries()) {
      const res = await b.inject({ method: 'GET', url: `/v1/sessions/${sid}`, headers: readAuth });
      const { session: s, timeline } = res.json();
      const expected = i % 4 === 0 ? 7 : 6;
      expect(timeline).toHaveLength(expected);
      expect(s).toMatchObject({
        recordCount: expected,
        rekeyCount: 2,
        maxGeneration: 2,
        violationCount: i % 4 === 0 ? 1 : 0,
      });
    }
  }, 60_000); // real processes / many concurrent batches: slow on a busy machine
});
