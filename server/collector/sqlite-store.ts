/**
 * SQLite storage (better-sqlite3 12, synchronous). WAL mode so readers never block the writer;
 * one IMMEDIATE transaction per batch so a batch is all-or-nothing and two processes sharing the
 * file serialise cleanly instead of failing on a lock upgrade.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sessionsQuery, encodeCursor, type SessionFilter } from './filters.js';
import { loadMigrations, MIGRATIONS_TABLE_SQL } from './migrations.js';
import type { IngestRecord, SessionPage, SessionSummary, Store, StoredRecord } from './store.js';
import {
  SESSION_COLUMNS,
  SESSION_UPSERT_SET,
  foldSessions,
  rowToSummary,
  type SessionDelta,
} from './summary.js';

interface IngestJob {
  records: IngestRecord[];
  receivedAt: number;
  resolve: (inserted: Set<string>) => void;
  reject: (err: Error) => void;
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly db: Database.Database;
  private statements = new Map<string, Database.Statement>();
  private ingestTx?: (jobs: IngestJob[]) => Set<string>[];
  private queue: IngestJob[] = [];
  private flushScheduled = false;
  private checkpointer?: Worker;

  constructor(private readonly file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across a process crash in WAL mode (not across power loss), and avoids
    // an fsync per batch.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    // 64 MiB of page cache: the indexes' hot pages stay in memory under sustained ingest.
    this.db.pragma('cache_size = -65536');
  }

  /**
   * Moves WAL checkpoints to a worker thread (sqlite-checkpointer.mjs). The writer keeps a far
   * automatic checkpoint as a fallback so the WAL stays bounded if the worker ever falls behind.
   */
  private startCheckpointer(): void {
    if (this.file === ':memory:' || this.checkpointer) return;
    this.db.pragma('wal_autocheckpoint = 50000');
    this.checkpointer = new Worker(new URL('./sqlite-checkpointer.mjs', import.meta.url), {
      workerData: { file: this.file, intervalMs: 250 },
    });
    this.checkpointer.unref();
    this.checkpointer.on('error', () => this.db.pragma('wal_autocheckpoint = 1000'));
  }

  /** Statements are prepared once and reused: values are always bound, never interpolated. */
  private prepare(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) this.statements.set(sql, (stmt = this.db.prepare(sql)));
    return stmt;
  }

  async migrate(): Promise<void> {
    const apply = this.db.transaction(() => {
      this.db.exec(MIGRATIONS_TABLE_SQL);
      const applied = new Set(
        (
          this.db.prepare('SELECT version FROM schema_migrations').all() as { version: string }[]
        ).map((r) => r.version),
      );
      const record = this.db.prepare(
        'INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)',
      );
      for (const m of loadMigrations('sqlite')) {
        if (applied.has(m.version)) continue;
        this.db.exec(m.sql);
        record.run(m.version, Date.now());
      }
    });
    apply.immediate();
    this.prepareIngest();
    this.startCheckpointer();
  }

  private prepareIngest(): void {
    const insertRecord = this.db.prepare(
      `INSERT INTO records (id, session_id, seq, time, kind, role, generation, received_at, body)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    );
    const upsertSession = this.db.prepare(
      `INSERT INTO sessions (${SESSION_COLUMNS.join(', ')})
       VALUES (${SESSION_COLUMNS.map(() => '?').join(', ')})
       ON CONFLICT (id) DO UPDATE SET ${SESSION_UPSERT_SET}`,
    );
    // Group commit: every batch that arrived in the same event-loop turn goes into one
    // transaction (one WAL append instead of one per batch). Each request is still answered
    // only after the commit that holds its records.
    const tx = this.db.transaction((jobs: IngestJob[]) => {
      const fresh: IngestRecord[] = [];
      const results = jobs.map(({ records, receivedAt }) => {
        const inserted = new Set<string>();
        for (const r of records) {
          const info = insertRecord.run(
            r.id,
            r.sessionId,
            r.seq,
            r.time,
            r.kind,
            r.role,
            r.generation,
            receivedAt,
            r.body,
          );
          if (info.changes === 1) {
            inserted.add(r.id);
            fresh.push(r);
          }
        }
        return inserted;
      });
      for (const delta of foldSessions(fresh)) {
        upsertSession.run(...SESSION_COLUMNS.map((c) => (delta as SessionDelta)[c]));
      }
      return results;
    });
    this.ingestTx = (jobs) => tx.immediate(jobs);
  }

  async ingest(records: IngestRecord[], receivedAt: number): Promise<Set<string>> {
    if (!this.ingestTx) throw new Error('SqliteStore.migrate() must run before ingest');
    return new Promise((resolve, reject) => {
      this.queue.push({ records, receivedAt, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.queue;
    this.queue = [];
    try {
      const results = this.ingestTx!(jobs);
      jobs.forEach((job, i) => job.resolve(results[i]!));
    } catch (err) {
      for (const job of jobs) job.reject(err as Error);
    }
  }

  async listSessions(filter: SessionFilter): Promise<SessionPage> {
    const { sql, params } = sessionsQuery(filter);
    const rows = this.prepare(sql).all(...params) as Record<string, unknown>[];
    const sessions = rows.slice(0, filter.limit).map(rowToSummary);
    const nextCursor =
      rows.length > filter.limit ? encodeCursor(sessions[sessions.length - 1]!) : null;
    return { sessions, nextCursor };
  }

  async getSession(id: string): Promise<SessionSummary | null> {
    const row = this.prepare('SELECT * FROM sessions WHERE id = ?').get(id) as
      Record<string, unknown> | undefined;
    return row ? rowToSummary(row) : null;
  }

  async getTimeline(id: string): Promise<StoredRecord[]> {
    const rows = this.prepare(
      'SELECT received_at, body FROM records WHERE session_id = ? ORDER BY time, seq, id',
    ).all(id) as { received_at: number; body: string }[];
    return rows.map((r) => ({
      receivedAt: r.received_at,
      record: JSON.parse(r.body) as Record<string, unknown>,
    }));
  }

  async close(): Promise<void> {
    if (this.checkpointer) {
      const worker = this.checkpointer;
      this.checkpointer = undefined;
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.ref(); // keep the event loop alive until the worker has closed its connection
        worker.postMessage('close');
      });
    }
    this.db.close();
  }
}
