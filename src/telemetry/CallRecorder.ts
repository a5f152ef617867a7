import type { Policy } from '../policy/Policy.js';
import type {
  CloseInfo,
  RekeyFailure,
  RekeyReport,
  SecuritySnapshot,
  Violation,
} from '../types.js';
import { buildRecord, RECORD_ID_PATTERN, randomRecordId } from './records.js';
import type {
  BrowserInfo,
  CallRole,
  RecordDataMap,
  RecordKind,
  RekeySchedule,
  TelemetryRecord,
} from './records.js';

/** The call events a recorder listens to; `SecureCall` provides them. */
export interface RecordedCallEvents {
  security: (snapshot: SecuritySnapshot) => void;
  violation: (violation: Violation) => void;
  rekey: (report: RekeyReport) => void;
  rekeyfailed: (failure: RekeyFailure) => void;
  close: (info: CloseInfo) => void;
}

/**
 * Anything with typed `on`/`off` for those events, such as a `SecureCall`. Spelled as overloads
 * because eventemitter3's generic `on` is assignable to these and not to a generic signature.
 */
export interface RecordedCall {
  on(event: 'security', listener: RecordedCallEvents['security']): unknown;
  on(event: 'violation', listener: RecordedCallEvents['violation']): unknown;
  on(event: 'rekey', listener: RecordedCallEvents['rekey']): unknown;
  on(event: 'rekeyfailed', listener: RecordedCallEvents['rekeyfailed']): unknown;
  on(event: 'close', listener: RecordedCallEvents['close']): unknown;
  off(event: 'security', listener: RecordedCallEvents['security']): unknown;
  off(event: 'violation', listener: RecordedCallEvents['violation']): unknown;
  off(event: 'rekey', listener: RecordedCallEvents['rekey']): unknown;
  off(event: 'rekeyfailed', listener: RecordedCallEvents['rekeyfailed']): unknown;
  off(event: 'close', listener: RecordedCallEvents['close']): unknown;
}

/** Where records go; a `TelemetryReporter` is one. */
export interface RecordSink {
  /** Next sequence number of a session, shared with the sink's own records. */
  nextSeq(sessionId: string): number;
  enqueue(record: TelemetryRecord): void;
}

export interface CallRecorderOptions {
  /** The call id, the records' `sessionId`: 8 to 64 of `A-Z a-z 0-9 _ -`. */
  callId: string;
  role: CallRole;
  /** The policy in force, defaults filled in. */
  policy: Policy;
  /** The re-key schedule, or null when scheduled re-keys are off. */
  rekey: RekeySchedule | null;
  sdkVersion: string;
  browser: BrowserInfo;
  sink: RecordSink;
  /** @default Date.now */
  now?: () => number;
  /** Record ids. @default crypto.randomUUID (a hex fallback outside secure contexts) */
  randomId?: () => string;
}

type RecorderState = 'new' | 'recording' | 'detached';

/**
 * Turns one call's events into telemetry records: `session-start` when started, a `handshake`
 * for the first snapshot of each generation and a `snapshot` for each later security-relevant
 * change, then `rekey`, `rekey-failed`, `violation` and finally `session-end`.
 */
export class CallRecorder {
  private readonly call: RecordedCall;
  private readonly options: CallRecorderOptions;
  private readonly now: () => number;
  private readonly randomId: () => string;
  private state: RecorderState = 'new';
  private generation = 0;
  private startedAt = 0;
  /** Security-relevant content of the last snapshot recorded, per generation. */
  private readonly lastSnapshot = new Map<number, string>();
  private readonly listeners: RecordedCallEvents;

  constructor(call: RecordedCall, options: CallRecorderOptions) {
    if (!RECORD_ID_PATTERN.test(options.callId)) {
      throw new TypeError('callId must be 8 to 64 characters of A-Z, a-z, 0-9, _ and -');
    }
    if (options.role !== 'caller' && options.role !== 'callee') {
      throw new TypeError("role must be 'caller' or 'callee'");
    }
    this.call = call;
    this.options = options;
    this.now = options.now ?? Date.now;
    this.randomId = options.randomId ?? randomRecordId;
    this.listeners = {
      security: (snapshot) => this.handleSecurity(snapshot),
      violation: (violation) => this.write('violation', violation.generation, violation),
      rekey: (report) => {
        this.generation = Math.max(this.generation, report.generation);
        this.write('rekey', report.generation, report);
      },
      // The failed generation never carried media; the record belongs to the current one.
      rekeyfailed: (failure) => this.write('rekey-failed', this.generation, failure),
      close: (info) => this.handleClose(info),
    };
  }

  /** Writes `session-start` and starts listening. Idempotent. */
  start(): void {
    if (this.state !== 'new') return;
    this.state = 'recording';
    this.startedAt = this.now();
    const { call, listeners } = this;
    call.on('security', listeners.security);
    call.on('violation', listeners.violation);
    call.on('rekey', listeners.rekey);
    call.on('rekeyfailed', listeners.rekeyfailed);
    call.on('close', listeners.close);
    this.write('session-start', this.generation, { rekey: this.options.rekey });
  }

  /** Removes every listener; no record is written afterwards. Idempotent. */
  detach(): void {
    if (this.state !== 'recording') {
      this.state = 'detached';
      return;
    }
    this.state = 'detached';
    const { call, listeners } = this;
    call.off('security', listeners.security);
    call.off('violation', listeners.violation);
    call.off('rekey', listeners.rekey);
    call.off('rekeyfailed', listeners.rekeyfailed);
    call.off('close', listeners.close);
  }

  private handleSecurity(snapshot: SecuritySnapshot): void {
    const key = securityKey(snapshot);
    const previous = this.lastSnapshot.get(snapshot.generation);
    if (previous === key) return;
    this.lastSnapshot.set(snapshot.generation, key);
    if (snapshot.generation > this.generation) this.generation = snapshot.generation;
    this.write(previous === undefined ? 'handshake' : 'snapshot', snapshot.generation, {
      snapshot,
    });
  }

  private handleClose(info: CloseInfo): void {
    this.generation = Math.max(this.generation, info.generation);
    this.write('session-end', info.generation, {
      reason: info.reason,
      durationMs: this.now() - this.startedAt,
    });
    this.detach();
  }

  private write<K extends RecordKind>(kind: K, generation: number, data: RecordDataMap[K]): void {
    if (this.state !== 'recording') return;
    const o = this.options;
    // A listener of the call: whatever goes wrong here must not reach the call.
    try {
      const record = buildRecord(
        {
          id: this.randomId(),
          sessionId: o.callId,
          seq: o.sink.nextSeq(o.callId),
          time: this.now(),
          sdkVersion: o.sdkVersion,
          browser: o.browser,
          role: o.role,
          generation,
          policy: o.policy,
        },
        kind,
        data,
      );
      o.sink.enqueue(record as TelemetryRecord);
    } catch {
      // The sink reports its own trouble; a builder failure is a bug with nowhere safer to go.
    }
  }
}

/** The fields whose change is worth a record: not byte counters, not the read time. */
function securityKey(s: SecuritySnapshot): string {
  return JSON.stringify([
    s.dtlsVersion,
    s.dtlsCipher,
    s.srtpProfile,
    s.forwardSecrecy,
    s.dtlsRole,
    s.localFingerprint,
    s.remoteFingerprint,
    s.fingerprintAlgorithm,
    s.candidateType,
    s.remoteCandidateType,
    s.compliant,
    s.violations.map((v) => [v.rule, v.action]),
    s.advisories.map((a) => a.code),
  ]);
}
