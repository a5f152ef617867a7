/**
 * Session summaries, folded on ingest. Only records that were newly stored are folded, and every
 * rule is order-independent (min, max, sum, "latest by (time, seq)", "earliest end"), so the
 * summary is the same whatever the delivery order and however often a record is re-sent.
 */
import type { IngestRecord, Role, SessionSummary } from './store.js';

/** Column order of the sessions table as written by the upsert. */
export const SESSION_COLUMNS = [
  'id',
  'first_time',
  'last_time',
  'record_count',
  'caller_browser_name',
  'caller_browser_version',
  'callee_browser_name',
  'callee_browser_version',
  'max_generation',
  'rekey_count',
  'rekey_failed_count',
  'violation_count',
  'noncompliant_count',
  'dropped_count',
  'latest_time',
  'latest_seq',
  'dtls_version',
  'srtp_profile',
  'dtls_cipher',
  'ended_time',
  'ended_reason',
  'duration_ms',
] as const;

export type SessionColumn = (typeof SESSION_COLUMNS)[number];
export type SessionDelta = Record<SessionColumn, string | number | null>;

const newer =
  '(excluded.latest_time > sessions.latest_time OR (excluded.latest_time = sessions.latest_time AND excluded.latest_seq > sessions.latest_seq))';
const earlierEnd =
  '(excluded.ended_time IS NOT NULL AND (sessions.ended_time IS NULL OR excluded.ended_time < sessions.ended_time))';
const pick = (cond: string, col: string) =>
  `${col} = CASE WHEN ${cond} THEN excluded.${col} ELSE sessions.${col} END`;
const add = (col: string) => `${col} = sessions.${col} + excluded.${col}`;

/** The ON CONFLICT update, portable between SQLite and PostgreSQL (SET sees the old row). */
export const SESSION_UPSERT_SET = [
  pick('excluded.first_time < sessions.first_time', 'first_time'),
  pick('excluded.last_time > sessions.last_time', 'last_time'),
  add('record_count'),
  'caller_browser_name = COALESCE(sessions.caller_browser_name, excluded.caller_browser_name)',
  pick('sessions.caller_browser_name IS NULL', 'caller_browser_version'),
  'callee_browser_name = COALESCE(sessions.callee_browser_name, excluded.callee_browser_name)',
  pick('sessions.callee_browser_name IS NULL', 'callee_browser_version'),
  pick('excluded.max_generation > sessions.max_generation', 'max_generation'),
  add('rekey_count'),
  add('rekey_failed_count'),
  add('violation_count'),
  add('noncompliant_count'),
  add('dropped_count'),
  pick(newer, 'dtls_version'),
  pick(newer, 'srtp_profile'),
  pick(newer, 'dtls_cipher'),
  // latest_* last: every SET expression reads the old row anyway, order is for the reader.
  pick(newer, 'latest_seq'),
  pick(newer, 'latest_time'),
  pick(earlierEnd, 'ended_reason'),
  pick(earlierEnd, 'duration_ms'),
  pick(earlierEnd, 'ended_time'),
].join(',\n  ');

function emptyDelta(id: string, time: number): SessionDelta {
  return {
    id,
    first_time: time,
    last_time: time,
    record_count: 0,
    caller_browser_name: null,
    caller_browser_version: null,
    callee_browser_name: null,
    callee_browser_version: null,
    max_generation: 0,
    rekey_count: 0,
    rekey_failed_count: 0,
    violation_count: 0,
    noncompliant_count: 0,
    dropped_count: 0,
    latest_time: -1,
    latest_seq: -1,
    dtls_version: null,
    srtp_profile: null,
    dtls_cipher: null,
    ended_time: null,
    ended_reason: null,
    duration_ms: null,
  };
}

/** Folds newly stored records into one delta per session, sorted by session id (lock order). */
export function foldSessions(records: readonly IngestRecord[]): SessionDelta[] {
  const bySession = new Map<string, SessionDelta>();
  for (const r of records) {
    let d = bySession.get(r.sessionId);
    if (!d) bySession.set(r.sessionId, (d = emptyDelta(r.sessionId, r.time)));
    if (r.time < (d.first_time as number)) d.first_time = r.time;
    if (r.time > (d.last_time as number)) d.last_time = r.time;
    (d.record_count as number)++;
    const browserCol = r.role === 'caller' ? 'caller_browser' : 'callee_browser';
    if (d[`${browserCol}_name`] === null) {
      d[`${browserCol}_name`] = r.browserName;
      d[`${browserCol}_version`] = r.browserVersion;
    }
    if (r.generation > (d.max_generation as number)) d.max_generation = r.generation;
    if (r.kind === 'rekey') (d.rekey_count as number)++;
    else if (r.kind === 'rekey-failed') (d.rekey_failed_count as number)++;
    else if (r.kind === 'violation') (d.violation_count as number)++;
    d.dropped_count = (d.dropped_count as number) + r.droppedCount;
    if (r.endReason !== null && (d.ended_time === null || r.time < (d.ended_time as number))) {
      d.ended_time = r.time;
      d.ended_reason = r.endReason;
      d.duration_ms = r.durationMs;
    }
    const snapshot = r.snapshot;
    if (snapshot) {
      if (!snapshot.compliant) (d.noncompliant_count as number)++;
      const lt = d.latest_time as number;
      if (r.time > lt || (r.time === lt && r.seq > (d.latest_seq as number))) {
        d.latest_time = r.time;
        d.latest_seq = r.seq;
        d.dtls_version = snapshot.dtlsVersion;
        d.srtp_profile = snapshot.srtpProfile;
        d.dtls_cipher = snapshot.dtlsCipher;
      }
    }
  }
  return [...bySession.values()].sort((a, b) => (a.id! < b.id! ? -1 : a.id! > b.id! ? 1 : 0));
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Maps a sessions row (either driver; PostgreSQL returns BIGINT as text) to the API shape. */
export function rowToSummary(row: Record<string, unknown>): SessionSummary {
  const roles: Role[] = [];
  const browsers: SessionSummary['browsers'] = [];
  for (const role of ['caller', 'callee'] as const) {
    const name = row[`${role}_browser_name`];
    if (typeof name === 'string') {
      roles.push(role);
      browsers.push({ role, name, version: numOrNull(row[`${role}_browser_version`]) });
    }
  }
  const violationCount = num(row.violation_count);
  const nonCompliantSnapshotCount = num(row.noncompliant_count);
  return {
    id: String(row.id),
    firstTime: num(row.first_time),
    lastTime: num(row.last_time),
    roles,
    browsers,
    recordCount: num(row.record_count),
    maxGeneration: num(row.max_generation),
    rekeyCount: num(row.rekey_count),
    rekeyFailedCount: num(row.rekey_failed_count),
    dtlsVersion: (row.dtls_version as string | null) ?? null,
    srtpProfile: (row.srtp_profile as string | null) ?? null,
    dtlsCipher: (row.dtls_cipher as string | null) ?? null,
    compliant: violationCount === 0 && nonCompliantSnapshotCount === 0,
    violationCount,
    nonCompliantSnapshotCount,
    droppedCount: num(row.dropped_count),
    endedReason: (row.ended_reason as string | null) ?? null,
    endedTime: numOrNull(row.ended_time),
    durationMs: numOrNull(row.duration_ms),
  };
}
