/**
 * The storage contract shared by SQLite and PostgreSQL. Both implement one logical schema
 * (migrations/*.sql) and keep the per-session summary up to date on ingest.
 */
import type { SessionFilter } from './filters.js';

export type Role = 'caller' | 'callee';

/**
 * A record that passed validation: the columns the store indexes, the few fields the session
 * summary is folded from, and the record's JSON text as stored.
 */
export interface IngestRecord {
  id: string;
  sessionId: string;
  seq: number;
  time: number;
  kind: string;
  role: Role;
  generation: number;
  browserName: string;
  browserVersion: number | null;
  /** The security snapshot of handshake, snapshot and rekey records. */
  snapshot: {
    dtlsVersion: string | null;
    srtpProfile: string | null;
    dtlsCipher: string | null;
    compliant: boolean;
  } | null;
  /** `dropped` records: how many records the SDK lost; 0 otherwise. */
  droppedCount: number;
  /** `session-end` records: why and after how long; null otherwise. */
  endReason: string | null;
  durationMs: number | null;
  /** The record as received, JSON text. */
  body: string;
}

/** The parts of a schema-valid record that the collector reads. */
export interface ValidRecord {
  id: string;
  sessionId: string;
  seq: number;
  time: number;
  kind: string;
  role: Role;
  generation: number;
  browser: { name: string; version: number | null };
  data: Record<string, unknown>;
}

export interface BrowserInfo {
  role: Role;
  name: string;
  version: number | null;
}

/** One row of `GET /v1/sessions`. */
export interface SessionSummary {
  id: string;
  firstTime: number;
  lastTime: number;
  roles: Role[];
  browsers: BrowserInfo[];
  recordCount: number;
  /** Highest generation seen: the number of completed re-keys on the reporting side. */
  maxGeneration: number;
  rekeyCount: number;
  rekeyFailedCount: number;
  dtlsVersion: string | null;
  srtpProfile: string | null;
  dtlsCipher: string | null;
  /** False as soon as any violation, or any non-compliant snapshot, was ever recorded. */
  compliant: boolean;
  violationCount: number;
  nonCompliantSnapshotCount: number;
  /** Records the SDK reported as lost to queue overflow. */
  droppedCount: number;
  endedReason: string | null;
  endedTime: number | null;
  durationMs: number | null;
}

export interface StoredRecord {
  receivedAt: number;
  record: Record<string, unknown>;
}

export interface SessionPage {
  sessions: SessionSummary[];
  /** Opaque cursor for the next page, or null on the last page. */
  nextCursor: string | null;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Applies pending migrations; safe to call from several processes at once. */
  migrate(): Promise<void>;
  /**
   * Stores the records (idempotent by id) and updates the session summaries, atomically.
   * Resolves to the ids that were new; the others were already stored.
   */
  ingest(records: IngestRecord[], receivedAt: number): Promise<Set<string>>;
  listSessions(filter: SessionFilter): Promise<SessionPage>;
  getSession(id: string): Promise<SessionSummary | null>;
  /** The session's records in timeline order (time, seq, id). */
  getTimeline(id: string): Promise<StoredRecord[]>;
  close(): Promise<void>;
}
