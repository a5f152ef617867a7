import { vi } from 'vitest';
import { DEFAULT_POLICY } from '../../src/policy/Policy.js';
import type { Policy } from '../../src/policy/Policy.js';
import { buildRecord } from '../../src/telemetry/records.js';
import type { TelemetryRecord } from '../../src/telemetry/records.js';
import { MemoryRecordStore } from '../../src/telemetry/RecordStore.js';
import type { RecordStore } from '../../src/telemetry/RecordStore.js';
import { TelemetryReporter } from '../../src/telemetry/TelemetryReporter.js';
import type {
  TelemetryError,
  TelemetryPlatform,
  TelemetryRequest,
  TelemetryResponse,
} from '../../src/telemetry/TelemetryReporter.js';
import type { TelemetryOptions } from '../../src/telemetry/TelemetryOptions.js';
import type { SecuritySnapshot } from '../../src/types.js';

export const ENDPOINT = 'https://collector.test/v1/events';

export const FINGERPRINT_A =
  'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';
export const FINGERPRINT_B =
  '01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF';

export function policy(): Policy {
  return { ...DEFAULT_POLICY, actions: { ...DEFAULT_POLICY.actions } };
}

export function snapshot(overrides: Partial<SecuritySnapshot> = {}): SecuritySnapshot {
  return {
    generation: 0,
    timestamp: 1_700_000_000_000,
    dtlsVersion: '1.2',
    dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    srtpProfile: 'AEAD_AES_128_GCM',
    forwardSecrecy: true,
    dtlsRole: 'client',
    bytesSent: 1000,
    bytesReceived: 2000,
    localFingerprint: FINGERPRINT_A,
    remoteFingerprint: FINGERPRINT_B,
    fingerprintAlgorithm: 'sha-256',
    candidateType: 'host',
    remoteCandidateType: 'srflx',
    violations: [],
    advisories: [],
    compliant: true,
    ...overrides,
  };
}

let counter = 0;

/** A `violation` record of `sessionId`, numbered by the reporter like a CallRecorder's. */
export function record(
  sink: { nextSeq(sessionId: string): number },
  sessionId = 'session-aaaa',
  message = 'srtp profile below policy',
): TelemetryRecord {
  counter += 1;
  return buildRecord(
    {
      id: `rec-${String(counter).padStart(8, '0')}`,
      sessionId,
      seq: sink.nextSeq(sessionId),
      time: Date.now(),
      sdkVersion: '0.1.0',
      browser: { name: 'chrome', version: 120 },
      role: 'caller',
      generation: 0,
      policy: policy(),
    },
    'violation',
    {
      rule: 'srtp-profile',
      action: 'report',
      message,
      expected: '>= AEAD_AES_128_GCM',
      actual: 'AES_CM_128_HMAC_SHA1_80',
      generation: 0,
    },
  );
}

export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | Error
  | ((request: SentRequest) => Reply);

export interface SentRequest {
  url: string;
  init: TelemetryRequest;
  records: TelemetryRecord[];
  /** Fake clock at send time. */
  at: number;
  /** Answers a held request. */
  respond(reply: Reply): void;
}

function response(reply: Exclude<Reply, Error | ((r: SentRequest) => Reply)>): TelemetryResponse {
  const headers = new Map(
    Object.entries(reply.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
  );
  return {
    status: reply.status,
    headers: { get: (name) => headers.get(name.toLowerCase()) ?? null },
    json: async () => {
      if (reply.body === undefined) throw new SyntaxError('Unexpected end of JSON input');
      return reply.body;
    },
  };
}

/** 200 acknowledging every record of the request, as the collector does. */
export function accepted(request: SentRequest): Reply {
  return {
    status: 200,
    body: { accepted: request.records.map((r) => r.id), duplicates: [], rejected: [] },
  };
}

/**
 * A collector behind a fake fetch. Replies are taken from `replies` in order, then `fallback`.
 * With `hold`, requests wait until `respond()` is called on them.
 */
export class FakeCollector {
  readonly requests: SentRequest[] = [];
  replies: Reply[] = [];
  fallback: Reply = accepted;
  hold = false;

  readonly fetch = (url: string, init: TelemetryRequest): Promise<TelemetryResponse> =>
    new Promise((resolve, reject) => {
      const answer = (reply: Reply): void => {
        let r = reply;
        while (typeof r === 'function') r = r(request);
        if (r instanceof Error) reject(r);
        else resolve(response(r));
      };
      const request: SentRequest = {
        url,
        init,
        records: (JSON.parse(init.body) as { records: TelemetryRecord[] }).records,
        at: Date.now(),
        respond: answer,
      };
      this.requests.push(request);
      if (!this.hold) answer(this.replies.shift() ?? this.fallback);
    });

  /** Ids of every record sent, in order, counting re-sends. */
  sentIds(): string[] {
    return this.requests.flatMap((r) => r.records.map((x) => x.id));
  }
}

export interface Harness {
  reporter: TelemetryReporter;
  collector: FakeCollector;
  store: RecordStore;
  errors: TelemetryError[];
  pageHide: () => void;
}

/** A reporter on fake timers (call `vi.useFakeTimers()` first), a fake collector and a store. */
export function harness(
  options: Partial<TelemetryOptions> = {},
  platform: Partial<TelemetryPlatform> = {},
  collector = new FakeCollector(),
): Harness {
  let hide: () => void = () => undefined;
  const store = platform.storage ?? new MemoryRecordStore();
  const reporter = new TelemetryReporter(
    { endpoint: ENDPOINT, ...options },
    {
      fetch: collector.fetch,
      setTimeout: (cb, ms) => setTimeout(cb, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
      now: () => Date.now(),
      random: () => 0.5,
      onPageHide: (cb) => {
        hide = cb;
        return () => {
          hide = () => undefined;
        };
      },
      ...platform,
      storage: store,
    },
  );
  const errors: TelemetryError[] = [];
  reporter.on('telemetryerror', (e) => errors.push(e));
  return { reporter, collector, store, errors, pageHide: () => hide() };
}

/** Lets promise chains (fetch replies, store writes) run without moving the clock. */
export async function settle(): Promise<void> {
  await vi.advanceTimersByTimeAsync(0);
}
