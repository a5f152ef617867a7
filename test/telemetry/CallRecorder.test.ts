import { readFileSync } from 'node:fs';
import Ajv from 'ajv';
import { EventEmitter } from 'eventemitter3';
import { describe, expect, it, vi } from 'vitest';
import { findForbidden } from '../../server/collector/forbidden.js';
import type { SecureCall } from '../../src/SecureCall.js';
import { CallRecorder } from '../../src/telemetry/CallRecorder.js';
import type {
  RecordedCall,
  RecordedCallEvents,
  RecordSink,
} from '../../src/telemetry/CallRecorder.js';
import { RECORD_ID_PATTERN } from '../../src/telemetry/records.js';
import type { RekeySchedule, TelemetryRecord } from '../../src/telemetry/records.js';
import type { RekeyFailure, RekeyReport, Violation } from '../../src/types.js';
import { FINGERPRINT_A, FINGERPRINT_B, harness, policy, snapshot } from './fixtures.js';

const schema = JSON.parse(
  readFileSync(new URL('../../schema/telemetry-record.v1.json', import.meta.url), 'utf8'),
) as object;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

class FakeCall extends EventEmitter<RecordedCallEvents> {}

class ListSink implements RecordSink {
  readonly records: TelemetryRecord[] = [];
  private readonly seqs = new Map<string, number>();
  nextSeq(sessionId: string): number {
    const seq = this.seqs.get(sessionId) ?? 0;
    this.seqs.set(sessionId, seq + 1);
    return seq;
  }
  enqueue(record: TelemetryRecord): void {
    this.records.push(record);
  }
}

const violation: Violation = {
  rule: 'srtp-profile',
  action: 'report',
  message: 'SRTP profile AES_CM_128_HMAC_SHA1_80 is below AEAD_AES_128_GCM',
  expected: '>= AEAD_AES_128_GCM',
  actual: 'AES_CM_128_HMAC_SHA1_80',
  generation: 0,
};

function recorder<S extends RecordSink = ListSink>(
  options: { rekey?: RekeySchedule | null; sink?: S } = {},
) {
  const call = new FakeCall();
  const sink = options.sink ?? new ListSink();
  let clock = 1_700_000_000_000;
  const rec = new CallRecorder(call, {
    callId: 'call_0123456789abcdef',
    role: 'callee',
    policy: policy(),
    rekey:
      options.rekey === undefined ? { intervalMs: 30_000, maxBytes: 5_000_000 } : options.rekey,
    sdkVersion: '0.1.0',
    browser: { name: 'firefox', version: 128 },
    sink,
    now: () => (clock += 250),
  });
  return { call, sink: sink as S, rec };
}

function rekeyReport(): RekeyReport {
  return {
    generation: 1,
    reason: 'interval',
    handshakeMs: 412.7,
    overlapMs: 180.2,
    previousFingerprint: FINGERPRINT_A,
    fingerprint: FINGERPRINT_B,
    previousRemoteFingerprint: FINGERPRINT_B,
    remoteFingerprint: FINGERPRINT_A,
    snapshot: snapshot({ generation: 1, localFingerprint: FINGERPRINT_B }),
    // Playout diagnostics: not compliance evidence, so not sent.
    handover: {
      generation: 1,
      method: 'aligned',
      lagMs: 12.4,
      shortfallMs: 0,
      waitedMs: 1100,
      measurements: { taken: 12, correlated: 12 },
      at: 1_700_000_002_000,
    },
  };
}

const failure: RekeyFailure = {
  generation: 2,
  reason: 'manual',
  code: 'timeout',
  message: 'the new connection did not connect within 15000 ms',
  attempt: 1,
  retryInMs: 2000,
};

/** Drives a whole call: start, handshakes, changes, re-keys, a violation, the end. */
function fullCall() {
  const h = recorder();
  h.rec.start();
  h.call.emit('security', snapshot());
  h.call.emit('security', snapshot({ bytesSent: 99_999, timestamp: 1_700_000_001_000 }));
  h.call.emit(
    'security',
    snapshot({ srtpProfile: 'AES_CM_128_HMAC_SHA1_80', compliant: false, violations: [violation] }),
  );
  h.call.emit('violation', violation);
  h.call.emit('rekey', rekeyReport());
  h.call.emit('security', snapshot({ generation: 1 }));
  h.call.emit('rekeyfailed', failure);
  h.call.emit('close', { reason: 'policy:srtp-profile', violation, generation: 1 });
  return h;
}

describe('CallRecorder', () => {
  it('turns call events into records in order', () => {
    const { sink } = fullCall();
    expect(sink.records.map((r) => [r.seq, r.kind, r.generation])).toEqual([
      [0, 'session-start', 0],
      [1, 'handshake', 0],
      // The bytes-only change makes no record.
      [2, 'snapshot', 0],
      [3, 'violation', 0],
      [4, 'rekey', 1],
      [5, 'handshake', 1],
      [6, 'rekey-failed', 1],
      [7, 'session-end', 1],
    ]);
    for (const r of sink.records) {
      expect(r.sessionId).toBe('call_0123456789abcdef');
      expect(r.id).toMatch(RECORD_ID_PATTERN);
      expect(r.schema).toBe('rekey-rtc.telemetry/1');
      expect(r.sdk).toEqual({ name: 'rekey-rtc', version: '0.1.0' });
      expect(r.browser).toEqual({ name: 'firefox', version: 128 });
      expect(r.role).toBe('callee');
    }
    expect(new Set(sink.records.map((r) => r.id)).size).toBe(sink.records.length);
  });

  it('writes session-start with the re-key schedule and session-end with the duration', () => {
    const { sink } = fullCall();
    expect(sink.records[0]?.data).toEqual({ rekey: { intervalMs: 30_000, maxBytes: 5_000_000 } });
    // The clock moved 250 ms per read: start, 7 records, then the end's duration and time.
    expect(sink.records.at(-1)?.data).toEqual({ reason: 'policy:srtp-profile', durationMs: 2000 });
  });

  it('produces records that validate against schema/telemetry-record.v1.json', () => {
    const { sink } = fullCall();
    for (const r of sink.records) {
      const ok = validate(r);
      expect(validate.errors ?? [], `${r.kind}: ${JSON.stringify(validate.errors)}`).toEqual([]);
      expect(ok).toBe(true);
    }
  });

  it('validates with the optional parts absent or null', () => {
    const h = recorder({ rekey: null });
    h.rec.start();
    expect(h.sink.records[0]?.data).toEqual({ rekey: null });
    h.call.emit(
      'security',
      snapshot({
        dtlsVersion: null,
        dtlsCipher: null,
        srtpProfile: null,
        dtlsRole: null,
        localFingerprint: null,
        remoteFingerprint: null,
        fingerprintAlgorithm: null,
        candidateType: null,
        remoteCandidateType: null,
        advisories: [{ code: 'dtls-legacy-fallback', message: 'DTLS 1.2, not 1.3', generation: 0 }],
      }),
    );
    h.call.emit('rekeyfailed', { ...failure, retryInMs: null });
    h.call.emit('close', { reason: 'remote', generation: 0 });
    expect(h.sink.records).toHaveLength(4);
    for (const r of h.sink.records) expect(validate(r), JSON.stringify(validate.errors)).toBe(true);
  });

  it('removes every listener on detach and after close', () => {
    const h = recorder();
    h.rec.start();
    const events = ['security', 'violation', 'rekey', 'rekeyfailed', 'close'] as const;
    for (const e of events) expect(h.call.listenerCount(e)).toBe(1);
    h.rec.detach();
    for (const e of events) expect(h.call.listenerCount(e)).toBe(0);
    h.call.emit('violation', violation);
    expect(h.sink.records.map((r) => r.kind)).toEqual(['session-start']);

    const closed = fullCall();
    for (const e of events) expect(closed.call.listenerCount(e)).toBe(0);
  });

  it('starts once', () => {
    const h = recorder();
    h.rec.start();
    h.rec.start();
    expect(h.sink.records).toHaveLength(1);
    expect(h.call.listenerCount('security')).toBe(1);
  });

  it('refuses a call id the schema would refuse', () => {
    expect(
      () =>
        new CallRecorder(new FakeCall(), {
          callId: 'short',
          role: 'caller',
          policy: policy(),
          rekey: null,
          sdkVersion: '0.1.0',
          browser: { name: 'chrome', version: 120 },
          sink: new ListSink(),
        }),
    ).toThrow(TypeError);
  });
});

describe('no forbidden field is ever serialised', () => {
  const IP = '203.0.113.7';
  const IP6 = '2001:db8::7';
  const SDP = `v=0\r\no=- 1 2 IN IP4 ${IP}\r\na=candidate:1 1 udp 2122260223 ${IP} 54321 typ host\r\n`;

  it('keeps addresses, SDP, candidates and keys out of the body sent, even when the inputs carry them', async () => {
    vi.useFakeTimers();
    const reporter = harness({ batchSize: 500 });
    const h = recorder({ sink: reporter.reporter });
    h.rec.start();
    const leaky = {
      ...snapshot({
        dtlsCipher: `TLS via ${IP}`,
        fingerprintAlgorithm: IP6,
        localFingerprint: `${FINGERPRINT_A} ${IP}`,
        violations: [{ ...violation, message: `peer ${IP6} negotiated AES_CM`, actual: IP }],
        advisories: [{ code: 'dtls-legacy-fallback' as const, message: SDP, generation: 0 }],
      }),
      // Fields no record lists: never copied.
      sdp: SDP,
      localCandidate: {
        address: IP,
        port: 54321,
        candidate: `candidate:1 1 udp 1 ${IP} 1 typ host`,
      },
      srtpKey: 'inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz',
      certificate: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    };
    h.call.emit('security', leaky);
    h.call.emit('violation', {
      ...violation,
      message: `ICE ${SDP}`,
      expected: IP6,
      extra: IP,
    } as Violation);
    h.call.emit('rekey', { ...rekeyReport(), snapshot: leaky, remoteSdp: SDP } as RekeyReport);
    h.call.emit('rekeyfailed', {
      ...failure,
      message: `connect to ${IP}:3478 failed`,
      address: IP,
    } as RekeyFailure);
    h.call.emit('close', { reason: 'remote', generation: 1 });

    await reporter.reporter.close();
    vi.useRealTimers();
    expect(reporter.collector.requests).toHaveLength(1);
    const body = reporter.collector.requests[0]!.init.body;
    const records = reporter.collector.requests[0]!.records;
    expect(records.map((r) => r.kind)).toEqual([
      'session-start',
      'handshake',
      'violation',
      'rekey',
      'rekey-failed',
      'session-end',
    ]);
    for (const needle of [
      IP,
      IP6,
      'v=0',
      'a=candidate',
      'candidate:',
      'BEGIN CERTIFICATE',
      'inline:',
      'sdp',
      'Sdp',
      'address',
      'srtpKey',
      'certificate',
    ]) {
      expect(body).not.toContain(needle);
    }
    expect(body).not.toMatch(/\b\d{1,3}(\.\d{1,3}){3}\b/);
    // Real fingerprints survive; the one with an address appended becomes null.
    expect(body).toContain(FINGERPRINT_B);
    expect(body).toContain('[redacted]');
    for (const r of records) {
      expect(findForbidden(r), r.kind).toBeNull();
      expect(validate(r), `${r.kind}: ${JSON.stringify(validate.errors)}`).toBe(true);
    }
  });
});

describe('types', () => {
  it('accepts a SecureCall as the recorded call', () => {
    // Compile-time check: SecureCall's eventemitter3 `on`/`off` fit RecordedCall.
    const fits = (call: SecureCall): RecordedCall => call;
    expect(typeof fits).toBe('function');
  });
});
