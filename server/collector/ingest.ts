/**
 * Turns a raw `POST /v1/events` body into rows to store and per-record verdicts. Pure and
 * self-contained (no Fastify, no store) so that it runs in the request thread or in an ingest
 * worker thread alike (ingest-worker.ts).
 */
import { findForbidden } from './forbidden.js';
import { recordSlices } from './record-slices.js';
import type { IngestRecord, ValidRecord } from './store.js';
import { describeErrors, validateEnvelope, validateRecord, type Problem } from './validation.js';

export interface RejectedRecord extends Problem {
  index: number;
  id: string | null;
}

export type PreparedBatch =
  | {
      ok: true;
      total: number;
      rows: IngestRecord[];
      rejected: RejectedRecord[];
      batchDuplicates: string[];
    }
  | { ok: false; error: string; details: Problem[] };

const TOKEN = /^[A-Za-z0-9_-]{8,64}$/;

interface SnapshotFields {
  dtlsVersion: string | null;
  srtpProfile: string | null;
  dtlsCipher: string | null;
  compliant: boolean;
}

/** The columns and summary inputs of one valid record. */
function toRow(rec: ValidRecord, body: string): IngestRecord {
  const data = rec.data;
  const snap =
    rec.kind === 'handshake' || rec.kind === 'snapshot' || rec.kind === 'rekey'
      ? (data.snapshot as SnapshotFields)
      : null;
  return {
    id: rec.id,
    sessionId: rec.sessionId,
    seq: rec.seq,
    time: rec.time,
    kind: rec.kind,
    role: rec.role,
    generation: rec.generation,
    browserName: rec.browser.name,
    browserVersion: rec.browser.version,
    snapshot: snap
      ? {
          dtlsVersion: snap.dtlsVersion,
          srtpProfile: snap.srtpProfile,
          dtlsCipher: snap.dtlsCipher,
          compliant: snap.compliant,
        }
      : null,
    droppedCount: rec.kind === 'dropped' ? (data.count as number) : 0,
    endReason: rec.kind === 'session-end' ? (data.reason as string) : null,
    durationMs: rec.kind === 'session-end' ? (data.durationMs as number) : null,
    body,
  };
}

export function prepareBatch(raw: string): PreparedBatch {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return {
      ok: false,
      error: 'body is not valid JSON',
      details: [{ path: '/', message: 'body is not valid JSON' }],
    };
  }
  if (!validateEnvelope(body)) {
    return {
      ok: false,
      error: 'malformed batch',
      details: [describeErrors(validateEnvelope.errors)],
    };
  }
  const records = (body as { records: Record<string, unknown>[] }).records;
  const slices = recordSlices(raw, records.length);
  const rows: IngestRecord[] = [];
  const rejected: RejectedRecord[] = [];
  const batchDuplicates: string[] = [];
  const seen = new Set<string>();
  for (let index = 0; index < records.length; index++) {
    const raw = records[index]!;
    const id = typeof raw.id === 'string' && TOKEN.test(raw.id) ? raw.id : null;
    if (!validateRecord(raw)) {
      rejected.push({ index, id, ...describeErrors(validateRecord.errors) });
      continue;
    }
    // Defence in depth: the closed schema already leaves no field for SDP, candidates or
    // addresses; this catches them in free-text fields.
    const forbidden = findForbidden(raw);
    if (forbidden) {
      rejected.push({ index, id, ...forbidden });
      continue;
    }
    const rec = raw as unknown as ValidRecord;
    if (seen.has(rec.id)) {
      batchDuplicates.push(rec.id);
      continue;
    }
    seen.add(rec.id);
    rows.push(toRow(rec, slices ? slices[index]! : JSON.stringify(rec)));
  }
  return { ok: true, total: records.length, rows, rejected, batchDuplicates };
}
