/**
 * Builders of schema-valid telemetry records for the collector tests and the ingest benchmark.
 * Shapes follow schema/telemetry-record.v1.json exactly; tests break them on purpose.
 */
let counter = 0;

/** A unique record/session id (8..64 chars of [A-Za-z0-9_-]). */
export const uid = (prefix = 'r'): string =>
  `${prefix}_${Date.now().toString(36)}_${(counter++).toString(36)}_${Math.random().toString(36).slice(2, 8)}`;

export const FP_A = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, '0').toUpperCase(),
).join(':');
export const FP_B = Array.from({ length: 32 }, (_, i) =>
  (255 - i * 5).toString(16).padStart(2, '0').toUpperCase(),
).join(':');
export const FP_C = Array.from({ length: 32 }, (_, i) =>
  ((i * 13 + 5) % 256).toString(16).padStart(2, '0').toUpperCase(),
).join(':');

export const POLICY = {
  minDtlsVersion: '1.2',
  preferredDtlsVersion: '1.3',
  requireForwardSecrecy: true,
  minSrtpProfile: 'AES_CM_128_HMAC_SHA1_80',
  actions: { 'dtls-version': 'close', 'forward-secrecy': 'close', 'srtp-profile': 'report' },
} as const;

export type Kind =
  | 'session-start'
  | 'handshake'
  | 'snapshot'
  | 'rekey'
  | 'rekey-failed'
  | 'violation'
  | 'session-end'
  | 'dropped';

export interface Overrides {
  id?: string;
  sessionId?: string;
  seq?: number;
  time?: number;
  generation?: number;
  role?: 'caller' | 'callee';
  data?: Record<string, unknown>;
  browser?: { name: string; version: number | null };
}

export function snapshot(
  generation = 0,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    generation,
    timestamp: 1_764_288_000_000 + generation * 1000,
    dtlsVersion: '1.3',
    dtlsCipher: 'TLS_AES_128_GCM_SHA256',
    srtpProfile: 'AES_CM_128_HMAC_SHA1_80',
    forwardSecrecy: true,
    dtlsRole: 'server',
    bytesSent: 12345,
    bytesReceived: 23456,
    localFingerprint: generation % 2 === 0 ? FP_A : FP_C,
    remoteFingerprint: FP_B,
    fingerprintAlgorithm: 'sha-256',
    candidateType: 'host',
    remoteCandidateType: 'srflx',
    violations: [],
    advisories: [],
    compliant: true,
    ...extra,
  };
}

export function dataFor(kind: Kind, generation = 0): Record<string, unknown> {
  switch (kind) {
    case 'session-start':
      return { rekey: { intervalMs: 60000, maxBytes: 0 } };
    case 'handshake':
    case 'snapshot':
      return { snapshot: snapshot(generation) };
    case 'rekey':
      return {
        generation,
        reason: 'interval',
        handshakeMs: 42.5,
        overlapMs: 120,
        previousFingerprint: FP_A,
        fingerprint: FP_C,
        previousRemoteFingerprint: FP_B,
        remoteFingerprint: FP_A,
        snapshot: snapshot(generation),
      };
    case 'rekey-failed':
      return {
        generation,
        reason: 'bytes',
        code: 'timeout',
        message: 'no answer within 10000 ms',
        attempt: 1,
        retryInMs: 2500.5,
      };
    case 'violation':
      return {
        rule: 'srtp-profile',
        action: 'report',
        message: 'SRTP profile AES_CM_128_HMAC_SHA1_80 is below AEAD_AES_128_GCM',
        expected: '>= AEAD_AES_128_GCM',
        actual: 'AES_CM_128_HMAC_SHA1_80',
        generation,
      };
    case 'session-end':
      return { reason: 'local', durationMs: 61000 };
    case 'dropped':
      return { count: 3 };
  }
}

export function record(kind: Kind, o: Overrides = {}): Record<string, unknown> {
  const generation = o.generation ?? 0;
  return {
    schema: 'rekey-rtc.telemetry/1',
    id: o.id ?? uid(),
    sessionId: o.sessionId ?? 'session_default',
    seq: o.seq ?? 0,
    time: o.time ?? 1_764_288_000_000,
    kind,
    sdk: { name: 'rekey-rtc', version: '0.1.0' },
    browser: o.browser ?? { name: 'chrome', version: 156 },
    role: o.role ?? 'caller',
    generation,
    policy: POLICY,
    data: o.data ?? dataFor(kind, generation),
  };
}

/** A whole call as the SDK would report it: start, handshake, snapshots, re-keys, end. */
export function session(
  sessionId: string,
  t0: number,
  opts: { rekeys?: number; violation?: boolean } = {},
): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  let seq = 0;
  const push = (kind: Kind, generation: number, data?: Record<string, unknown>) =>
    out.push(
      record(kind, {
        sessionId,
        seq,
        time: t0 + seq * 1000,
        generation,
        ...(data ? { data } : {}),
        id: `${sessionId}-${seq++}`,
      }),
    );
  push('session-start', 0);
  push('handshake', 0);
  if (opts.violation) push('violation', 0);
  for (let g = 1; g <= (opts.rekeys ?? 1); g++) push('rekey', g);
  push('snapshot', opts.rekeys ?? 1);
  push('session-end', opts.rekeys ?? 1);
  return out;
}
