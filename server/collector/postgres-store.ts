/**
 * PostgreSQL storage (pg Pool), for deployments where several collector processes share one
 * database. Idempotency comes from `INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id`: under
 * concurrency the second inserter of an id waits for the first to commit and then inserts
 * nothing, so only the first folds the record into the session summary.
 */
import pg from 'pg';
import { encodeCursor, sessionsQuery, type SessionFilter } from './filters.js';
import { loadMigrations, MIGRATIONS_TABLE_SQL } from './migrations.js';
import type { IngestRecord, SessionPage, SessionSummary, Store, StoredRecord } from './store.js';
import { SESSION_COLUMNS, SESSION_UPSERT_SET, foldSessions, rowToSummary } from './summary.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** A schema to work in (created if missing), e.g. one per test run. Default: search_path. */
  schema?: string;
  /** Pool size. Default 10. */
  max?: number;
}

const SESSION_TYPES: Record<(typeof SESSION_COLUMNS)[number], string> = {
  id: 'text',
  first_time: 'bigint',
  last_time: 'bigint',
  record_count: 'int',
  caller_browser_name: 'text',
  caller_browser_version: 'int',
  callee_browser_name: 'text',
  callee_browser_version: 'int',
  max_generation: 'int',
  rekey_count: 'int',
  rekey_failed_count: 'int',
  violation_count: 'int',
  noncompliant_count: 'int',
  dropped_count: 'bigint',
  latest_time: 'bigint',
  latest_seq: 'bigint',
  dtls_version: 'text',
  srtp_profile: 'text',
  dtls_cipher: 'text',
  ended_time: 'bigint',
  ended_reason: 'text',
  duration_ms: 'bigint',
};

// One statement per batch whatever its size: the rows travel as one JSON text parameter and
// json_to_recordset() turns them into rows. JSON.stringify is native and fast; pg's text[] array
// literals would escape every quote of every record body in JavaScript.
const RECORD_COLUMNS =
  'id text, session_id text, seq bigint, time bigint, kind text, role text, generation int, body text';
const INSERT_RECORDS = {
  name: 'rekey_insert_records',
  text: `INSERT INTO records (id, session_id, seq, time, kind, role, generation, received_at, body)
    SELECT id, session_id, seq, time, kind, role, generation, $2, body
    FROM json_to_recordset($1::json) AS t(${RECORD_COLUMNS})
    ON CONFLICT (id) DO NOTHING
    RETURNING id`,
};

const UPSERT_SESSIONS = {
  name: 'rekey_upsert_sessions',
  text: `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')})
    SELECT ${SESSION_COLUMNS.join(', ')}
    FROM json_to_recordset($1::json) AS t(${SESSION_COLUMNS.map((c) => `${c} ${SESSION_TYPES[c]}`).join(', ')})
    ON CONFLICT (id) DO UPDATE SET ${SESSION_UPSERT_SET}`,
};

/** Deadlock or serialization failure: safe to retry the whole batch. */
const RETRYABLE = new Set(['40P01', '40001']);

const toNumbered = (sql: string): string => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  private readonly pool: pg.Pool;
  private readonly schema: string | undefined;
  private readonly names = new Map<string, string>();

  constructor(options: PostgresStoreOptions) {
    if (options.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema)) {
      throw new Error('schema must be a lowercase SQL identifier');
    }
    this.schema = options.schema;
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.max ?? 10,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => {});
  }

  /** Named (server-side prepared) statement for a fixed SQL text. */
  private named(sql: string): { name: string; text: string } {
    let name = this.names.get(sql);
    if (!name) this.names.set(sql, (name = `rekey_q${this.names.size}`));
    return { name, text: toNumbered(sql) };
  }

  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Two processes starting at once: the advisory lock makes the second wait and then find
      // every migration applied. Session-level lock, released in finally. Taken before CREATE
      // SCHEMA too: concurrent `CREATE SCHEMA IF NOT EXISTS` can fail on a unique index.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [
        `rekey-rtc-collector:${this.schema ?? ''}`,
      ]);
      try {
        if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.schema}`);
        await client.query(MIGRATIONS_TABLE_SQL);
        const { rows } = await client.query<{ version: string }>(
          'SELECT version FROM schema_migrations',
        );
        const applied = new Set(rows.map((r) => r.version));
        for (const m of loadMigrations('pg')) {
          if (applied.has(m.version)) continue;
          await client.query('BEGIN');
          try {
            await client.query(m.sql);
            await client.query(
              'INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)',
              [m.version, Date.now()],
            );
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK');
            throw err;
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [
          `rekey-rtc-collector:${this.schema ?? ''}`,
        ]);
      }
    } finally {
      client.release();
    }
  }

  async ingest(records: IngestRecord[], receivedAt: number): Promise<Set<string>> {
    // Sorted by id so that concurrent batches sharing ids take their row locks in one order.
    const sorted = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rows = JSON.stringify(
      sorted.map((r) => ({
        id: r.id,
        session_id: r.sessionId,
        seq: r.seq,
        time: r.time,
        kind: r.kind,
        role: r.role,
        generation: r.generation,
        body: r.body,
      })),
    );
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      try {
        await client.query('BEGIN');
        const result = await client.query<{ id: string }>({
          ...INSERT_RECORDS,
          values: [rows, receivedAt],
        });
        const inserted = new Set(result.rows.map((r) => r.id));
        const deltas = foldSessions(sorted.filter((r) => inserted.has(r.id)));
        if (deltas.length > 0) {
          await client.query({ ...UPSERT_SESSIONS, values: [JSON.stringify(deltas)] });
        }
        await client.query('COMMIT');
        return inserted;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {});
        const code = (err as { code?: string }).code;
        if (attempt < 4 && code !== undefined && RETRYABLE.has(code)) continue;
        throw err;
      } finally {
        client.release();
      }
    }
  }

  async listSessions(filter: SessionFilter): Promise<SessionPage> {
    const { sql, params } = sessionsQuery(filter);
    const { rows } = await this.pool.query({ ...this.named(sql), values: params });
    const sessions = rows.slice(0, filter.limit).map(rowToSummary);
    const nextCursor =
      rows.length > filter.limit ? encodeCursor(sessions[sessions.length - 1]!) : null;
    return { sessions, nextCursor };
  }

  async getSession(id: string): Promise<SessionSummary | null> {
    const { rows } = await this.pool.query({
      ...this.named('SELECT * FROM sessions WHERE id = ?'),
      values: [id],
    });
    return rows[0] ? rowToSummary(rows[0] as Record<string, unknown>) : null;
  }

  async getTimeline(id: string): Promise<StoredRecord[]> {
    const { rows } = await this.pool.query<{ received_at: string; body: string }>({
      ...this.named(
        'SELECT received_at, body FROM records WHERE session_id = ? ORDER BY time, seq, id',
      ),
      values: [id],
    });
    return rows.map((r) => ({
      receivedAt: Number(r.received_at),
      record: JSON.parse(r.body) as Record<string, unknown>,
    }));
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
