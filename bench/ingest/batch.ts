/**
 * Request bodies for the ingest benchmark: 50 valid records (5 calls of 10 records: start,
 * handshake, 5 snapshots, a re-key, a violation, end), with ids unique per request. The JSON is
 * built once and split on a placeholder, so making a body is one join, not a stringify: the load
 * generator shares the machine's 2 cores with the collector and must stay cheap.
 */
import { record, type Kind } from '../../test/server/records.js';

const PLACEHOLDER = '@@P@@';

export function batchTemplate(batchSize: number): string[] {
  const perSession: Kind[] = [
    'session-start',
    'handshake',
    'snapshot',
    'snapshot',
    'snapshot',
    'snapshot',
    'snapshot',
    'rekey',
    'violation',
    'session-end',
  ];
  const records: Record<string, unknown>[] = [];
  const t0 = Date.now();
  for (let i = 0; i < batchSize; i++) {
    const s = Math.floor(i / perSession.length);
    const seq = i % perSession.length;
    const kind = perSession[seq]!;
    const generation = kind === 'rekey' || seq > 7 ? 1 : 0;
    records.push(
      record(kind, {
        id: `${PLACEHOLDER}-${s}-${seq}`,
        sessionId: `${PLACEHOLDER}-${s}`,
        seq,
        time: t0 + seq * 1000,
        generation,
      }),
    );
  }
  return JSON.stringify({ records }).split(PLACEHOLDER);
}

/** Body number `n`: every id and session id gets a prefix unique to the run and the request. */
export function makeBody(parts: string[], runId: string, n: number): string {
  return parts.join(`${runId}${n.toString(36).padStart(6, '0')}`);
}
