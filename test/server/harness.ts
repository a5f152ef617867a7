/**
 * Runs the same collector tests against both stores: SQLite in a temp file and PostgreSQL in a
 * fresh schema of the server at REKEY_TEST_PG_URL. An unreachable PostgreSQL is a test failure,
 * never a skip: CI starts it with scripts/start-postgres.sh.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { buildCollector, type CollectorOptions } from '../../server/collector/app.js';
import { PostgresStore } from '../../server/collector/postgres-store.js';
import { SqliteStore } from '../../server/collector/sqlite-store.js';
import type { Store } from '../../server/collector/store.js';

export const PG_URL =
  process.env.REKEY_TEST_PG_URL || 'postgres://rekey:rekey@127.0.0.1:5432/rekey_test';

export const INGEST_KEY = 'ingest-key-for-tests-0001';
export const READ_KEY = 'read-key-for-tests-000001';
export const ingestAuth = { authorization: `Bearer ${INGEST_KEY}` };
export const readAuth = { authorization: `Bearer ${READ_KEY}` };

export interface Backend {
  name: 'sqlite' | 'postgres';
  /** Call in beforeAll: creates the temp file / schema (and fails if PostgreSQL is down). */
  setup(): Promise<void>;
  /** A new store on the same database (several stores = several collector processes). */
  store(): Store;
  teardown(): Promise<void>;
}

export function sqliteBackend(): Backend {
  let dir = '';
  return {
    name: 'sqlite',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'rekey-collector-'));
    },
    store: () => new SqliteStore(join(dir, 'collector.db')),
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function postgresBackend(): Backend {
  const schema = `t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = () => new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  return {
    name: 'postgres',
    async setup() {
      const client = admin();
      try {
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } catch (err) {
        throw new Error(
          `PostgreSQL is unreachable at REKEY_TEST_PG_URL (${PG_URL.replace(/\/\/[^@]*@/, '//***@')}): ` +
            `${(err as Error).message}. Start it with: sudo bash scripts/start-postgres.sh`,
        );
      } finally {
        await client.end().catch(() => {});
      }
    },
    store: () => new PostgresStore({ connectionString: PG_URL, schema, max: 4 }),
    async teardown() {
      const client = admin();
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    },
  };
}

export const backends = (): Backend[] => [sqliteBackend(), postgresBackend()];

export function collector(store: Store, extra: Partial<CollectorOptions> = {}) {
  return buildCollector({
    store,
    ingestKeys: [INGEST_KEY],
    readKeys: [READ_KEY],
    corsOrigins: ['https://app.example.test'],
    rateLimitPerMin: 0,
    ...extra,
  });
}
