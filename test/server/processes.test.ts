/**
 * Two collector processes (the real CLI, server/collector/main.ts) on one PostgreSQL schema,
 * fed the same batches at the same time over real sockets: every record is stored and
 * acknowledged exactly once. This is the "several collectors behind a load balancer" setup.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCollectorProcess, type CollectorProcess } from '../../server/collector/process.js';
import { INGEST_KEY, PG_URL, postgresBackend, READ_KEY } from './harness.js';
import { session, uid } from './records.js';

function startCollector(schema: string): Promise<CollectorProcess> {
  return startCollectorProcess({
    DATABASE_URL: PG_URL,
    DATABASE_SCHEMA: schema,
    INGEST_KEYS: INGEST_KEY,
    READ_KEYS: READ_KEY,
    RATE_LIMIT_PER_MIN: '0',
    LOG_LEVEL: 'warn',
  });
}

describe('two collector processes on one PostgreSQL', () => {
  const backend = postgresBackend();
  const schema = `p_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const collectors: { child: ChildProcess; url: string }[] = [];

  beforeAll(async () => {
    await backend.setup(); // fails (not skips) when PostgreSQL is unreachable
    // Both start at once: their migrations meet at the advisory lock.
    collectors.push(...(await Promise.all([startCollector(schema), startCollector(schema)])));
  }, 60_000);
  afterAll(async () => {
    for (const { child } of collectors) {
      child.kill('SIGTERM');
      if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    }
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await backend.teardown();
  });

  it('stores and acknowledges each record once', async () => {
    const records = Array.from({ length: 30 }, () =>
      session(uid('s'), 1_764_600_000_000, { rekeys: 2 }),
    ).flat();
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < records.length; i += 45) batches.push(records.slice(i, i + 45));
    const post = async (url: string, batch: Record<string, unknown>[]) => {
      const res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ records: batch }),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as { accepted: string[]; duplicates: string[] };
    };
    const [a, b] = [collectors[0]!, collectors[1]!];
    const answers = await Promise.all([
      ...batches.map((batch) => post(a.url, batch)),
      ...[...batches].reverse().map((batch) => post(b.url, batch)),
    ]);
    const accepted = answers.flatMap((x) => x.accepted);
    expect(accepted).toHaveLength(records.length);
    expect(new Set(accepted).size).toBe(records.length);
    expect(answers.flatMap((x) => x.duplicates)).toHaveLength(records.length);

    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      const count = await client.query(`SELECT count(*)::int AS n FROM ${schema}.records`);
      expect(count.rows[0].n).toBe(records.length);
      const sums = await client.query(
        `SELECT sum(record_count)::int AS records, sum(rekey_count)::int AS rekeys FROM ${schema}.sessions`,
      );
      expect(sums.rows[0]).toEqual({ records: records.length, rekeys: 60 });
      const migrations = await client.query(
        `SELECT count(*)::int AS n FROM ${schema}.schema_migrations`,
      );
      expect(migrations.rows[0].n).toBe(1);
    } finally {
      await client.end();
    }
  }, 60_000); // real processes / many concurrent batches: slow on a busy machine
});
