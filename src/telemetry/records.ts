/**
 * Telemetry records, version 1: the types mirror `schema/telemetry-record.v1.json`, which forbids
 * additional properties. So every builder here picks the listed fields one by one and never
 * spreads an object that might carry more (a future field, a key, an SDP blob).
 */
import type { Policy } from '../policy/Policy.js';
import type {
  Advisory,
  CloseReason,
  RekeyFailure,
  RekeyReport,
  SecuritySnapshot,
  Violation,
} from '../types.js';
import { isForbidden, matchOrNull, redact } from './sanitize.js';

// Field limits of schema/telemetry-record.v1.json. Values outside them are cut or become null
// here rather than make the collector refuse the whole record.
const MESSAGE_MAX = 512;
const EXPECTED_MAX = 64;
const LIST_MAX = 16;
const CIPHER = /^[A-Za-z0-9_-]{1,64}$/;
const FINGERPRINT = /^([0-9A-F]{2}:){15,63}[0-9A-F]{2}$/;
const HASH_NAME = /^[A-Za-z0-9-]{1,16}$/;

/** The `schema` field of every version 1 record. */
export const RECORD_SCHEMA = 'rekey-rtc.telemetry/1';

/** Pattern of `id` and `sessionId`. */
export const RECORD_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;

export type RecordKind =
  | 'session-start'
  | 'handshake'
  | 'snapshot'
  | 'rekey'
  | 'rekey-failed'
  | 'violation'
  | 'session-end'
  | 'dropped';

export type CallRole = 'caller' | 'callee';

/** The browser engine, from webrtc-adapter's `browserDetails`. */
export interface BrowserInfo {
  name: string;
  /** Major version, or null where unknown. */
  version: number | null;
}

/** The re-key schedule in force, or null when scheduled re-keys are off. */
export interface RekeySchedule {
  intervalMs: number;
  maxBytes: number;
}

export interface SessionStartData {
  rekey: RekeySchedule | null;
}
export interface SnapshotData {
  snapshot: SecuritySnapshot;
}
export interface SessionEndData {
  reason: CloseReason;
  durationMs: number;
}
export interface DroppedData {
  /** Records of this session lost to the reporter's bounded queue. */
  count: number;
}

/** Data of each record kind. */
export interface RecordDataMap {
  'session-start': SessionStartData;
  handshake: SnapshotData;
  snapshot: SnapshotData;
  /** The report without `handover` (how playout switched is not compliance evidence). */
  rekey: Omit<RekeyReport, 'handover'>;
  'rekey-failed': RekeyFailure;
  violation: Violation;
  'session-end': SessionEndData;
  dropped: DroppedData;
}

/** Fields every record carries, whatever its kind. */
export interface RecordEnvelope {
  schema: typeof RECORD_SCHEMA;
  /** Unique; the collector stores a record once per id, so re-sending is harmless. */
  id: string;
  /** The call id. */
  sessionId: string;
  /** 0, 1, 2... per session, in the order the records were written. */
  seq: number;
  /** Milliseconds since the epoch. */
  time: number;
  sdk: { name: 'rekey-rtc'; version: string };
  browser: BrowserInfo;
  role: CallRole;
  /** The call's generation when the record was written. */
  generation: number;
  policy: Policy;
}

export type TelemetryRecordOf<K extends RecordKind> = RecordEnvelope & {
  kind: K;
  data: RecordDataMap[K];
};

/** One record, discriminated by `kind`. */
export type TelemetryRecord = { [K in RecordKind]: TelemetryRecordOf<K> }[RecordKind];

/** What a record needs besides its kind and data. */
export interface EnvelopeInput {
  id: string;
  sessionId: string;
  seq: number;
  time: number;
  sdkVersion: string;
  browser: BrowserInfo;
  role: CallRole;
  generation: number;
  policy: Policy;
}

/** Builds a record of `kind`, copying only the fields the schema lists. */
export function buildRecord<K extends RecordKind>(
  envelope: EnvelopeInput,
  kind: K,
  data: RecordDataMap[K],
): TelemetryRecordOf<K> {
  return {
    schema: RECORD_SCHEMA,
    id: envelope.id,
    sessionId: envelope.sessionId,
    seq: envelope.seq,
    time: whole(envelope.time),
    kind,
    sdk: { name: 'rekey-rtc', version: redact(envelope.sdkVersion, 64) },
    browser: pickBrowser(envelope.browser),
    role: envelope.role,
    generation: envelope.generation,
    policy: pickPolicy(envelope.policy),
    data: pickData(kind, data),
  } as TelemetryRecordOf<K>;
}

/** The envelope of an existing record, to write another record of the same session. */
export function envelopeOf(
  record: TelemetryRecord,
  id: string,
  seq: number,
  time: number,
): EnvelopeInput {
  return {
    id,
    sessionId: record.sessionId,
    seq,
    time,
    sdkVersion: record.sdk.version,
    browser: record.browser,
    role: record.role,
    generation: record.generation,
    policy: record.policy,
  };
}

/** Counts, times and durations go out whole and non-negative (performance.now() has fractions). */
function whole(value: number): number {
  return Math.max(0, Math.round(value));
}

function pickBrowser(browser: BrowserInfo): BrowserInfo {
  // The schema allows `^[A-Za-z0-9 ._-]{1,32}$`; adapter says e.g. 'chrome' or 'Not a browser.'.
  const name = isForbidden(browser.name) ? '' : browser.name.replace(/[^A-Za-z0-9 ._-]/g, '');
  const version = browser.version;
  return {
    name: name.slice(0, 32) || 'unknown',
    version:
      typeof version === 'number' && Number.isInteger(version) && version >= 0 && version <= 100_000
        ? version
        : null,
  };
}

function fingerprint(value: string | null): string | null {
  return matchOrNull(value === null ? null : value.toUpperCase(), FINGERPRINT);
}

function pickData<K extends RecordKind>(kind: K, data: RecordDataMap[K]): RecordDataMap[K] {
  // One switch over the kind; TypeScript cannot narrow `data` by `kind`, hence the casts.
  switch (kind) {
    case 'session-start': {
      const { rekey } = data as SessionStartData;
      const picked: SessionStartData = {
        rekey:
          rekey === null
            ? null
            : { intervalMs: whole(rekey.intervalMs), maxBytes: whole(rekey.maxBytes) },
      };
      return picked as RecordDataMap[K];
    }
    case 'handshake':
    case 'snapshot':
      return { snapshot: pickSnapshot((data as SnapshotData).snapshot) } as RecordDataMap[K];
    case 'rekey':
      return pickRekeyReport(data as RekeyReport) as RecordDataMap[K];
    case 'rekey-failed':
      return pickRekeyFailure(data as RekeyFailure) as RecordDataMap[K];
    case 'violation':
      return pickViolation(data as Violation) as RecordDataMap[K];
    case 'session-end': {
      const { reason, durationMs } = data as SessionEndData;
      return { reason, durationMs: whole(durationMs) } as RecordDataMap[K];
    }
    case 'dropped':
      return { count: whole((data as DroppedData).count) } as RecordDataMap[K];
    default:
      throw new TypeError(`unknown record kind ${String(kind)}`);
  }
}

export function pickPolicy(policy: Policy): Policy {
  return {
    minDtlsVersion: policy.minDtlsVersion,
    preferredDtlsVersion: policy.preferredDtlsVersion,
    requireForwardSecrecy: policy.requireForwardSecrecy,
    minSrtpProfile: policy.minSrtpProfile,
    actions: {
      'dtls-version': policy.actions['dtls-version'],
      'forward-secrecy': policy.actions['forward-secrecy'],
      'srtp-profile': policy.actions['srtp-profile'],
    },
  };
}

export function pickViolation(v: Violation): Violation {
  return {
    rule: v.rule,
    action: v.action,
    message: redact(v.message, MESSAGE_MAX),
    expected: redact(v.expected, EXPECTED_MAX),
    actual: redact(v.actual, EXPECTED_MAX),
    generation: v.generation,
  };
}

function pickAdvisory(a: Advisory): Advisory {
  return { code: a.code, message: redact(a.message, MESSAGE_MAX), generation: a.generation };
}

export function pickSnapshot(s: SecuritySnapshot): SecuritySnapshot {
  return {
    generation: s.generation,
    timestamp: whole(s.timestamp),
    dtlsVersion: s.dtlsVersion,
    dtlsCipher: matchOrNull(s.dtlsCipher, CIPHER),
    srtpProfile: s.srtpProfile,
    forwardSecrecy: s.forwardSecrecy,
    dtlsRole: s.dtlsRole,
    bytesSent: whole(s.bytesSent),
    bytesReceived: whole(s.bytesReceived),
    localFingerprint: fingerprint(s.localFingerprint),
    remoteFingerprint: fingerprint(s.remoteFingerprint),
    fingerprintAlgorithm: matchOrNull(s.fingerprintAlgorithm, HASH_NAME),
    candidateType: s.candidateType,
    remoteCandidateType: s.remoteCandidateType,
    violations: s.violations.slice(0, LIST_MAX).map(pickViolation),
    advisories: s.advisories.slice(0, LIST_MAX).map(pickAdvisory),
    compliant: s.compliant,
  };
}

export function pickRekeyReport(r: RekeyReport): Omit<RekeyReport, 'handover'> {
  return {
    generation: r.generation,
    reason: r.reason,
    handshakeMs: whole(r.handshakeMs),
    overlapMs: whole(r.overlapMs),
    previousFingerprint: fingerprint(r.previousFingerprint),
    fingerprint: fingerprint(r.fingerprint),
    previousRemoteFingerprint: fingerprint(r.previousRemoteFingerprint),
    remoteFingerprint: fingerprint(r.remoteFingerprint),
    snapshot: pickSnapshot(r.snapshot),
  };
}

export function pickRekeyFailure(f: RekeyFailure): RekeyFailure {
  return {
    generation: f.generation,
    reason: f.reason,
    code: f.code,
    message: redact(f.message, MESSAGE_MAX),
    attempt: f.attempt,
    retryInMs: f.retryInMs === null ? null : whole(f.retryInMs),
  };
}

/** A random record id matching {@link RECORD_ID_PATTERN}. */
export function randomRecordId(): string {
  // randomUUID exists only in secure contexts; getRandomValues everywhere.
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
