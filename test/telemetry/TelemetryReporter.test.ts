import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryRecordStore } from '../../src/telemetry/RecordStore.js';
import type { RecordStore } from '../../src/telemetry/RecordStore.js';
import type { TelemetryRecord } from '../../src/telemetry/records.js';
import { createTelemetryReporter } from '../../src/telemetry/telemetryPlatform.js';
import { KEEPALIVE_MAX_BYTES } from '../../src/telemetry/TelemetryReporter.js';
import type { DeliveryReport } from '../../src/telemetry/TelemetryReporter.js';
import { accepted, FakeCollector, harness, record, settle } from './fixtures.js';

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

function enqueueMany(
  h: ReturnType<typeof harness>,
  n: number,
  sessionId?: string,
): TelemetryRecord[] {
  const records: TelemetryRecord[] = [];
  for (let i = 0; i < n; i++) {
    const r = record(h.reporter, sessionId);
    records.push(r);
    h.reporter.enqueue(r);
  }
  return records;
}

describe('batching', () => {
  it('sends a full batch at once and the remainder after the interval', async () => {
    const h = harness({ batchSize: 3, flushIntervalMs: 5000 });
    const records = enqueueMany(h, 7);
    await settle();
    expect(h.collector.requests.map((r) => r.records.length)).toEqual([3, 3]);
    await vi.advanceTimersByTimeAsync(4999);
    expect(h.collector.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.collector.requests.map((r) => r.records.length)).toEqual([3, 3, 1]);
    expect(h.collector.sentIds()).toEqual(records.map((r) => r.id));
    expect(h.reporter.pending).toBe(0);
  });

  it('waits flushIntervalMs for a partial batch', async () => {
    const h = harness({ batchSize: 50, flushIntervalMs: 2000 });
    enqueueMany(h, 2);
    await vi.advanceTimersByTimeAsync(1999);
    expect(h.collector.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.collector.requests).toHaveLength(1);
    expect(h.collector.requests[0]?.records).toHaveLength(2);
  });

  it('posts JSON { records } with the user headers', async () => {
    const h = harness({ headers: { Authorization: 'Bearer k' } });
    enqueueMany(h, 1);
    await h.reporter.flush();
    const request = h.collector.requests[0]!;
    expect(request.url).toBe('https://collector.test/v1/events');
    expect(request.init.method).toBe('POST');
    expect(request.init.keepalive).toBe(false);
    expect(request.init.headers).toEqual({
      Authorization: 'Bearer k',
      'Content-Type': 'application/json',
    });
    expect(Object.keys(JSON.parse(request.init.body) as object)).toEqual(['records']);
  });

  it('keeps one request in flight at a time', async () => {
    const h = harness({ batchSize: 2 });
    h.collector.hold = true;
    enqueueMany(h, 6);
    await settle();
    expect(h.collector.requests).toHaveLength(1);
    void h.reporter.flush();
    await settle();
    expect(h.collector.requests).toHaveLength(1);
    h.collector.requests[0]!.respond(accepted);
    await settle();
    expect(h.collector.requests).toHaveLength(2);
    h.collector.requests[1]!.respond(accepted);
    await settle();
    h.collector.requests[2]!.respond(accepted);
    await settle();
    expect(h.collector.requests).toHaveLength(3);
    expect(h.reporter.pending).toBe(0);
  });

  it('emits delivered with the collector counts', async () => {
    const h = harness();
    const delivered: DeliveryReport[] = [];
    h.reporter.on('delivered', (d) => delivered.push(d));
    const [a, b] = enqueueMany(h, 2);
    h.collector.replies.push({
      status: 200,
      body: { accepted: [a!.id], duplicates: [b!.id], rejected: [] },
    });
    await h.reporter.flush();
    expect(delivered).toEqual([{ records: 2, accepted: 1, duplicates: 1, rejected: 0 }]);
  });

  it('survives a listener that throws', async () => {
    const h = harness();
    h.reporter.on('delivered', () => {
      throw new Error('user bug');
    });
    enqueueMany(h, 2);
    await h.reporter.flush();
    enqueueMany(h, 1);
    await h.reporter.flush();
    expect(h.collector.requests).toHaveLength(2);
    expect(h.reporter.pending).toBe(0);
  });
});

describe('retries', () => {
  it('backs off exponentially with full jitter, capped, and resets after a success', async () => {
    const randoms = [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.999_999, 0];
    const h = harness(
      { retry: { baseMs: 1000, maxMs: 8000 } },
      { random: () => randoms.shift() ?? 0.5 },
    );
    h.collector.fallback = { status: 503 };
    enqueueMany(h, 1);
    await h.reporter.flush();
    await vi.advanceTimersByTimeAsync(120_000);
    const gaps = h.collector.requests.slice(1, 8).map((r, i) => r.at - h.collector.requests[i]!.at);
    // random * min(maxMs, baseMs * 2^n): 1000, 2000, 4000, 8000, then capped at 8000.
    expect(gaps.slice(0, 6)).toEqual([500, 1000, 2000, 4000, 4000, 4000]);
    // The largest random stays under the ceiling.
    expect(gaps[6]).toBe(7999);
    expect(h.errors.every((e) => e.code === 'http' && e.status === 503)).toBe(true);

    // After a success the exponent starts again from baseMs.
    h.collector.fallback = accepted;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(h.reporter.pending).toBe(0);
    h.collector.fallback = { status: 500 };
    const before = h.collector.requests.length;
    enqueueMany(h, 1);
    await h.reporter.flush();
    randoms.push(0.999_999);
    const failedAt = Date.now();
    await vi.advanceTimersByTimeAsync(1000);
    expect(h.collector.requests.length).toBe(before + 2);
    expect(h.collector.requests.at(-1)!.at - failedAt).toBeLessThan(1000);
  });

  it('keeps every jittered delay within [0, ceiling)', async () => {
    const delays: number[] = [];
    const h = harness(
      { flushIntervalMs: 77_777, retry: { baseMs: 100, maxMs: 1000 } },
      {
        random: Math.random,
        setTimeout: (cb, ms) => {
          if (ms !== 77_777) delays.push(ms);
          return setTimeout(cb, ms);
        },
      },
    );
    h.collector.fallback = new TypeError('Failed to fetch');
    enqueueMany(h, 1);
    await h.reporter.flush();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(delays.length).toBeGreaterThan(20);
    delays.forEach((d, n) => {
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(1000, 100 * 2 ** n));
      expect(Number.isInteger(d)).toBe(true);
    });
    expect(h.errors[0]).toEqual({
      code: 'network',
      message: 'telemetry request failed: Failed to fetch',
    });
    expect(h.reporter.pending).toBe(1);
  });

  it('respects Retry-After on 429, in seconds and as an HTTP date', async () => {
    const h = harness({ retry: { baseMs: 10, maxMs: 10 } });
    h.collector.replies.push({ status: 429, headers: { 'Retry-After': '7' } });
    h.collector.replies.push({
      status: 429,
      headers: { 'Retry-After': new Date(Date.now() + 7000 + 3000).toUTCString() },
    });
    enqueueMany(h, 1);
    await h.reporter.flush();
    await vi.advanceTimersByTimeAsync(6999);
    expect(h.collector.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.collector.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2999);
    expect(h.collector.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.collector.requests).toHaveLength(3);
    expect(h.reporter.pending).toBe(0);
    expect(h.errors.map((e) => [e.code, e.status])).toEqual([
      ['rate-limited', 429],
      ['rate-limited', 429],
    ]);
  });

  it('splits a batch in halves on 413 and sends smaller batches afterwards', async () => {
    const h = harness({ batchSize: 4 });
    h.collector.replies.push({ status: 413, body: { error: 'too large' } });
    const records = enqueueMany(h, 4);
    await settle();
    expect(h.collector.requests.map((r) => r.records.length)).toEqual([4, 2, 2]);
    expect(h.collector.sentIds().slice(4)).toEqual(records.map((r) => r.id));
    expect(h.reporter.pending).toBe(0);
    enqueueMany(h, 4);
    await settle();
    expect(h.collector.requests.map((r) => r.records.length)).toEqual([4, 2, 2, 2, 2]);
  });

  it('drops a single record the collector finds too large, and says so', async () => {
    const h = harness();
    h.collector.replies.push({ status: 413 });
    enqueueMany(h, 1);
    await h.reporter.flush();
    expect(h.reporter.pending).toBe(0);
    expect(h.errors).toEqual([
      { code: 'too-large', message: 'a record is larger than the collector accepts', status: 413 },
    ]);
  });

  it('on a 400 with rejected records, acknowledges the others and never retries the rejected', async () => {
    const h = harness();
    const delivered: DeliveryReport[] = [];
    h.reporter.on('delivered', (d) => delivered.push(d));
    const [a, b, c] = enqueueMany(h, 3);
    h.collector.replies.push({
      status: 400,
      body: {
        accepted: [a!.id],
        duplicates: [c!.id],
        rejected: [{ index: 1, id: b!.id, path: '/data/message', message: 'must be string' }],
      },
    });
    await h.reporter.flush();
    await vi.advanceTimersByTimeAsync(600_000);
    expect(h.collector.requests).toHaveLength(1);
    expect(h.reporter.pending).toBe(0);
    expect(await h.store.loadAll()).toEqual([]);
    expect(h.errors).toEqual([
      {
        code: 'rejected',
        message: 'collector rejected 1 record(s): /data/message must be string',
        status: 400,
      },
    ]);
    expect(delivered).toEqual([{ records: 2, accepted: 1, duplicates: 1, rejected: 1 }]);
  });

  it('on a 400 for the whole envelope, halves the batch to isolate the bad record', async () => {
    const h = harness();
    const [good, bad] = enqueueMany(h, 2);
    h.collector.fallback = (request) =>
      request.records.some((r) => r.id === bad!.id)
        ? { status: 400, body: { error: 'Bad Request', details: 'body/records/1 must be object' } }
        : accepted(request);
    await h.reporter.flush();
    expect(h.collector.requests.map((r) => r.records.map((x) => x.id))).toEqual([
      [good!.id, bad!.id],
      [good!.id],
      [bad!.id],
    ]);
    expect(h.reporter.pending).toBe(0);
    expect(h.errors.map((e) => e.code)).toEqual(['rejected']);
  });

  it('keeps records on 401 and 403, backs off and reports', async () => {
    const h = harness({ retry: { baseMs: 1000, maxMs: 1000 } });
    h.collector.replies.push({ status: 401, body: { error: 'Unauthorized' } }, { status: 403 });
    const records = enqueueMany(h, 3);
    await h.reporter.flush();
    expect(h.reporter.pending).toBe(3);
    expect((await h.store.loadAll()).map((r) => r.id)).toEqual(records.map((r) => r.id));
    await vi.advanceTimersByTimeAsync(500);
    expect(h.collector.requests).toHaveLength(2);
    expect(h.reporter.pending).toBe(3);
    await vi.advanceTimersByTimeAsync(500);
    expect(h.collector.requests).toHaveLength(3);
    expect(h.reporter.pending).toBe(0);
    expect(h.errors.map((e) => [e.code, e.status])).toEqual([
      ['unauthorized', 401],
      ['unauthorized', 403],
    ]);
  });
});

describe('bounded queue', () => {
  it('drops the oldest records and reports their count in a dropped record', async () => {
    const h = harness({ batchSize: 5, maxQueue: 5, retry: { baseMs: 1000, maxMs: 1000 } });
    h.collector.fallback = new TypeError('offline');
    const records = enqueueMany(h, 5, 'session-bbbb');
    await settle(); // the full batch goes out and fails
    const more = enqueueMany(h, 3, 'session-bbbb');
    expect(h.reporter.pending).toBe(6);
    expect(h.errors.filter((e) => e.code === 'queue-full')).toHaveLength(1);

    h.collector.fallback = accepted;
    h.collector.requests.length = 0;
    await h.reporter.flush();
    const sent = h.collector.requests.flatMap((r) => r.records);
    expect(sent.filter((r) => r.kind !== 'dropped').map((r) => r.id)).toEqual(
      [...records.slice(3), ...more].map((r) => r.id),
    );
    // One dropped record, written at the first overflow and counting up while unsent.
    const [dropped, ...others] = sent.filter((r) => r.kind === 'dropped');
    expect(others).toEqual([]);
    if (dropped?.kind !== 'dropped') throw new Error('no dropped record');
    expect(dropped.data).toEqual({ count: 3 });
    expect(dropped.sessionId).toBe('session-bbbb');
    // Numbered from the session's shared counter: no seq is used twice.
    expect(dropped.seq).toBe(6);
    expect(new Set(sent.map((r) => r.seq)).size).toBe(sent.length);
    expect(dropped.role).toBe('caller');
    expect(await h.store.loadAll()).toEqual([]);
  });

  it('never evicts records in flight nor dropped records, and counts each session apart', async () => {
    const h = harness({ batchSize: 2, maxQueue: 2, flushIntervalMs: 60_000 });
    h.collector.hold = true;
    enqueueMany(h, 1, 'session-one1');
    enqueueMany(h, 1, 'session-two2'); // a full batch: in flight, so it cannot be evicted
    enqueueMany(h, 2, 'session-one1'); // over the bound with nothing older to evict: dropped
    enqueueMany(h, 1, 'session-two2');
    h.collector.requests[0]!.respond(accepted);
    h.collector.hold = false;
    await h.reporter.flush();
    const sent = h.collector.requests.slice(1).flatMap((r) => r.records);
    const dropped = sent.filter((r) => r.kind === 'dropped');
    expect(dropped.map((r) => [r.sessionId, r.seq, r.data])).toEqual([
      ['session-one1', 2, { count: 2 }],
      ['session-two2', 2, { count: 1 }],
    ]);
    expect(sent.filter((r) => r.kind !== 'dropped')).toEqual([]);
    expect(h.errors.filter((e) => e.code === 'queue-full')).toHaveLength(1);
  });
});

describe('persistence', () => {
  it('sends records left by an earlier page on start, and deletes acknowledged ones', async () => {
    const store = new MemoryRecordStore();
    const first = harness({ batchSize: 2 }, { storage: store });
    first.collector.replies.push(accepted);
    first.collector.fallback = { status: 503 };
    const acked = enqueueMany(first, 2, 'session-old1');
    await settle();
    const leftA = enqueueMany(first, 1, 'session-old1');
    const leftB = enqueueMany(first, 1, 'session-old2');
    await settle();
    expect(first.reporter.pending).toBe(2);
    expect(store.size).toBe(2);
    // "Reload": the first page is gone without closing; a new reporter uses the same store.
    vi.clearAllTimers();

    const second = harness({}, { storage: store });
    await settle();
    expect(second.collector.requests).toHaveLength(1);
    expect(second.collector.sentIds()).toEqual([...leftA, ...leftB].map((r) => r.id));
    expect(second.collector.sentIds()).not.toContain(acked[0]!.id);
    expect(store.size).toBe(0);
  });

  it('continues the sequence of a session loaded from the store', async () => {
    const store = new MemoryRecordStore();
    const first = harness({ flushIntervalMs: 60_000 }, { storage: store });
    enqueueMany(first, 3, 'session-old1');
    await settle();
    vi.clearAllTimers();
    const second = harness({}, { storage: store });
    await settle();
    expect(second.reporter.nextSeq('session-old1')).toBe(3);
  });

  it('falls back to memory once when storage fails, and still delivers', async () => {
    const broken: RecordStore = {
      put: () => Promise.reject(new Error('QuotaExceededError')),
      delete: () => Promise.reject(new Error('QuotaExceededError')),
      loadAll: () => Promise.reject(new Error('InvalidStateError')),
    };
    const h = harness({}, { storage: broken });
    enqueueMany(h, 3);
    await h.reporter.flush();
    expect(h.errors).toEqual([
      {
        code: 'storage',
        message: 'telemetry storage unavailable, keeping records in memory: InvalidStateError',
      },
    ]);
    expect(h.collector.sentIds()).toHaveLength(3);
  });
});

describe('page hide', () => {
  it('sends one keepalive request under 64 KiB, leaving in-flight records alone', async () => {
    const h = harness({ batchSize: 10, maxQueue: 1000, flushIntervalMs: 60_000 });
    h.collector.hold = true;
    const long = 'x'.repeat(400);
    const records: TelemetryRecord[] = [];
    for (let i = 0; i < 300; i++) {
      const r = record(h.reporter, 'session-hide', long);
      records.push(r);
      h.reporter.enqueue(r);
    }
    await settle();
    expect(h.collector.requests).toHaveLength(1); // the first full batch, held in flight
    h.pageHide();
    await settle();
    expect(h.collector.requests).toHaveLength(2);
    const keepalive = h.collector.requests[1]!;
    expect(keepalive.init.keepalive).toBe(true);
    expect(new TextEncoder().encode(keepalive.init.body).length).toBeLessThanOrEqual(
      KEEPALIVE_MAX_BYTES,
    );
    expect(keepalive.records.length).toBeGreaterThan(50);
    expect(keepalive.records.length).toBeLessThan(290);
    expect(keepalive.records[0]!.id).toBe(records[10]!.id);
    // The page survived (bfcache): the answer is handled like any other.
    keepalive.respond(accepted);
    await settle();
    expect(h.reporter.pending).toBe(300 - keepalive.records.length);
  });
});

describe('close', () => {
  it('flushes once, is idempotent, stops timers and the page-hide hook', async () => {
    const h = harness({ flushIntervalMs: 60_000 });
    enqueueMany(h, 2);
    const a = h.reporter.close();
    const b = h.reporter.close();
    expect(a).toBe(b);
    await a;
    await h.reporter.close();
    expect(h.collector.requests).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
    h.pageHide();
    await settle();
    expect(h.collector.requests).toHaveLength(1);
  });

  it('makes no retry after a failed last pass and keeps the records stored', async () => {
    const h = harness();
    h.collector.fallback = { status: 502 };
    enqueueMany(h, 2);
    await h.reporter.close();
    expect(vi.getTimerCount()).toBe(0);
    expect((await h.store.loadAll()).length).toBe(2);
    const late = record(h.reporter);
    h.reporter.enqueue(late);
    await settle();
    expect(h.errors.at(-1)?.code).toBe('closed');
    expect((await h.store.loadAll()).map((r) => r.id)).toContain(late.id);
    expect(h.collector.requests).toHaveLength(1);
  });

  it('never throws into the caller', async () => {
    const h = harness(
      {},
      {
        fetch: () => {
          throw new Error('sync throw');
        },
      },
      new FakeCollector(),
    );
    expect(() => h.reporter.enqueue(null as unknown as TelemetryRecord)).not.toThrow();
    enqueueMany(h, 1);
    await expect(h.reporter.flush()).resolves.toBeUndefined();
    await expect(h.reporter.close()).resolves.toBeUndefined();
    expect(h.errors.map((e) => e.code)).toContain('network');
  });
});

describe('createTelemetryReporter', () => {
  it('builds on globalThis, validates options, and falls back to memory without IndexedDB', async () => {
    expect(() => createTelemetryReporter({ endpoint: 'ftp://x' })).toThrow(
      new TypeError('telemetry.endpoint must be an http(s) URL'),
    );
    const collector = new FakeCollector();
    const reporter = createTelemetryReporter(
      { endpoint: 'https://collector.test/v1/events' },
      { fetch: collector.fetch },
    );
    const errors: string[] = [];
    reporter.on('telemetryerror', (e) => errors.push(e.code));
    reporter.enqueue(record(reporter));
    await reporter.close();
    expect(collector.requests).toHaveLength(1);
    // Node has no IndexedDB: the one storage error of a persist: true reporter.
    expect(errors).toEqual(['storage']);
  });
});
