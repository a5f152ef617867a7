import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { IndexedDbRecordStore, MemoryRecordStore } from '../../src/telemetry/RecordStore.js';
import type { TelemetryRecord } from '../../src/telemetry/records.js';
import { harness, record, settle } from './fixtures.js';

const seq = { next: 0, nextSeq: () => seq.next++ };

describe.each([
  ['MemoryRecordStore', () => new MemoryRecordStore()],
  ['IndexedDbRecordStore', () => new IndexedDbRecordStore({ indexedDB: new IDBFactory() })],
])('%s', (_name, create) => {
  it('puts, replaces, loads oldest first and deletes', async () => {
    const store = create();
    const a = { ...record(seq, 'session-s1'), time: 3 } as TelemetryRecord;
    const b = { ...record(seq, 'session-s2'), time: 1 } as TelemetryRecord;
    const c = { ...record(seq, 'session-s1'), time: 3 } as TelemetryRecord;
    await store.put([a, b]);
    await store.put([c, { ...a, generation: 4 } as TelemetryRecord]);
    const loaded = await store.loadAll();
    expect(loaded.map((r) => r.id)).toEqual([b.id, a.id, c.id]);
    expect(loaded[1]?.generation).toBe(4);
    await store.delete([a.id, 'unknown-id']);
    expect((await store.loadAll()).map((r) => r.id)).toEqual([b.id, c.id]);
    await store.put([]);
    await store.delete([]);
  });
});

describe('IndexedDbRecordStore', () => {
  it('keeps records across instances on the same origin (a reload)', async () => {
    const indexedDB = new IDBFactory();
    const first = new IndexedDbRecordStore({ indexedDB });
    const r = record(seq, 'session-s3');
    await first.put([r]);
    first.close();
    const second = new IndexedDbRecordStore({ indexedDB });
    expect(await second.loadAll()).toEqual([r]);
  });

  it('rejects when IndexedDB is missing', async () => {
    vi.stubGlobal('indexedDB', undefined);
    try {
      await expect(new IndexedDbRecordStore().loadAll()).rejects.toThrow(
        'IndexedDB is not available',
      );
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('rejects when opening throws (sandboxed origins)', async () => {
    const factory = {
      open: () => {
        throw new DOMException('access denied', 'SecurityError');
      },
    } as unknown as IDBFactory;
    await expect(
      new IndexedDbRecordStore({ indexedDB: factory }).put([record(seq)]),
    ).rejects.toThrow('access denied');
  });
});

describe('reporter on IndexedDB', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** fake-indexeddb completes on real macrotasks (setImmediate), which stay unfaked here. */
  async function idle(): Promise<void> {
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      await settle();
    }
  }

  it('sends on the next load what the previous page left, and deletes what was acknowledged', async () => {
    const indexedDB = new IDBFactory();
    const first = harness({ batchSize: 2 }, { storage: new IndexedDbRecordStore({ indexedDB }) });
    first.collector.replies.push((request) => ({
      status: 200,
      body: { accepted: request.records.map((r) => r.id), duplicates: [], rejected: [] },
    }));
    first.collector.fallback = new TypeError('Failed to fetch');
    const acked = [
      record(first.reporter, 'session-page1'),
      record(first.reporter, 'session-page1'),
    ];
    acked.forEach((r) => first.reporter.enqueue(r));
    await idle();
    const left = [record(first.reporter, 'session-page1'), record(first.reporter, 'session-page2')];
    left.forEach((r) => first.reporter.enqueue(r));
    await idle();
    expect(first.reporter.pending).toBe(2);
    vi.clearAllTimers(); // the page is gone

    const store = new IndexedDbRecordStore({ indexedDB });
    expect((await store.loadAll()).map((r) => r.id)).toEqual(left.map((r) => r.id));
    const second = harness({}, { storage: new IndexedDbRecordStore({ indexedDB }) });
    await idle();
    expect(second.collector.sentIds()).toEqual(left.map((r) => r.id));
    await idle();
    expect(await store.loadAll()).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it('falls back to memory and reports once where IndexedDB is unavailable', async () => {
    vi.stubGlobal('indexedDB', undefined);
    const h = harness({}, { storage: new IndexedDbRecordStore() });
    vi.unstubAllGlobals();
    h.reporter.enqueue(record(h.reporter));
    h.reporter.enqueue(record(h.reporter));
    await idle();
    expect(h.errors.map((e) => e.code)).toEqual(['storage']);
    await h.reporter.flush();
    expect(h.collector.sentIds()).toHaveLength(2);
  });
});
