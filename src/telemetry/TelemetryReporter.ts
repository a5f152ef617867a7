import { EventEmitter } from 'eventemitter3';
import { buildRecord, envelopeOf, randomRecordId } from './records.js';
import type { TelemetryRecord } from './records.js';
import type { RecordStore } from './RecordStore.js';
import { MemoryRecordStore } from './RecordStore.js';
import { MAX_BATCH_SIZE, resolveTelemetryOptions } from './TelemetryOptions.js';
import type { ResolvedTelemetryOptions, TelemetryOptions } from './TelemetryOptions.js';

/** The part of a fetch `Response` the reporter reads. */
export interface TelemetryResponse {
  status: number;
  headers: { get(name: string): string | null };
  json(): Promise<unknown>;
}

export interface TelemetryRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  keepalive: boolean;
}

/** Everything the reporter takes from the browser. Tests pass fakes; see `telemetryPlatform()`. */
export interface TelemetryPlatform {
  fetch(url: string, init: TelemetryRequest): Promise<TelemetryResponse>;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  /** A number in [0, 1), for backoff jitter. */
  random(): number;
  storage: RecordStore;
  /** Calls `callback` when the page is being hidden or unloaded; returns an unsubscribe function. */
  onPageHide?(callback: () => void): () => void;
  /** Ids of the `dropped` records the reporter writes itself. @default crypto.randomUUID */
  randomId?(): string;
}

export type TelemetryErrorCode =
  /** The request failed before a response (offline, DNS, CORS). Retried. */
  | 'network'
  /** The collector answered with an unexpected status. Retried. */
  | 'http'
  /** 401 or 403: the ingest key is wrong. Records are kept and retried with backoff. */
  | 'unauthorized'
  /** 429: retried after the collector's `Retry-After`. */
  | 'rate-limited'
  /** The collector refused some records as malformed; they are dropped, never retried. */
  | 'rejected'
  /** One record is larger than the collector accepts; it is dropped. */
  | 'too-large'
  /** The queue overflowed; the oldest records were dropped and a `dropped` record counts them. */
  | 'queue-full'
  /** Persistent storage failed; records are now kept in memory only. */
  | 'storage'
  /** A record arrived after `close()`; it is stored for the next page load only. */
  | 'closed'
  /** A bug in the reporter, caught so it cannot reach the call. */
  | 'internal';

/** Payload of `telemetryerror`. Telemetry trouble is reported here and never thrown. */
export interface TelemetryError {
  code: TelemetryErrorCode;
  message: string;
  /** HTTP status, when there was a response. */
  status?: number;
}

/** Payload of `delivered`: one request's outcome, as counted by the collector. */
export interface DeliveryReport {
  /** Records acknowledged (newly stored or already there) and deleted from the queue. */
  records: number;
  accepted: number;
  duplicates: number;
  rejected: number;
}

export interface TelemetryReporterEvents {
  telemetryerror: [TelemetryError];
  delivered: [DeliveryReport];
}

/** Keepalive requests share a 64 KiB body quota per page; stay clearly under it. */
export const KEEPALIVE_MAX_BYTES = 64_000;

/** Ceiling of a `Retry-After` we honour, so a broken header cannot stall telemetry for days. */
const MAX_RETRY_AFTER_MS = 3_600_000;

type ReporterState = 'open' | 'closing' | 'closed';

interface SessionBook {
  nextSeq: number;
  /** The latest record of the session: the envelope of the `dropped` records we write. */
  latest: TelemetryRecord | null;
}

interface CollectorAnswer {
  accepted: string[];
  duplicates: string[];
  rejected: { index?: unknown; id?: unknown; path?: unknown; message?: unknown }[];
}

const encoder = new TextEncoder();

/**
 * Delivers telemetry records to a collector: in batches, one request at a time, with retries,
 * a bounded queue whose overflow is itself reported, and persistence until acknowledgement.
 *
 * Also the single authority for sequence numbers ({@link TelemetryReporter.nextSeq}), because it
 * writes records of its own (`dropped`) into sessions that recorders are writing.
 */
export class TelemetryReporter extends EventEmitter<TelemetryReporterEvents> {
  private readonly options: ResolvedTelemetryOptions;
  private readonly platform: TelemetryPlatform;
  private storage: RecordStore;
  private state: ReporterState = 'open';
  /** Every record not yet acknowledged, oldest first, including those in flight. */
  private queue: TelemetryRecord[] = [];
  private readonly inFlight = new Set<string>();
  private readonly sessions = new Map<string, SessionBook>();
  /** Shrinks after a 413 so the next batches fit. */
  private batchLimit: number;
  private timer: unknown = null;
  private backingOff = false;
  /** Consecutive failed deliveries; the exponent of the backoff. */
  private attempt = 0;
  /** True from the first overflow until a delivery succeeds: one `queue-full` per episode. */
  private overflowing = false;
  private sending: Promise<void> | null = null;
  private closing: Promise<void> | null = null;
  private readonly loaded: Promise<void>;
  private readonly unsubscribePageHide: () => void;

  constructor(options: TelemetryOptions, platform: TelemetryPlatform) {
    super();
    this.options = resolveTelemetryOptions(options);
    this.platform = platform;
    this.storage = platform.storage;
    this.batchLimit = this.options.batchSize;
    this.unsubscribePageHide =
      platform.onPageHide?.(() => void this.flush({ keepalive: true })) ?? (() => undefined);
    this.loaded = this.loadPending();
  }

  /** Records waiting for acknowledgement, in flight or not. */
  get pending(): number {
    return this.queue.length;
  }

  /**
   * The next sequence number of a session. Recorders and the reporter share one counter per
   * session so that `(sessionId, seq)` stays unique even when the reporter adds a `dropped` record.
   */
  nextSeq(sessionId: string): number {
    const book = this.book(sessionId);
    return book.nextSeq++;
  }

  /** Queues a record for delivery. Never throws; trouble is emitted as `telemetryerror`. */
  enqueue(record: TelemetryRecord): void {
    try {
      if (typeof record?.id !== 'string' || typeof record.sessionId !== 'string') {
        this.report('internal', 'ignored a record without id or sessionId');
        return;
      }
      if (this.queue.some((r) => r.id === record.id)) return;
      if (this.state === 'closed') {
        this.report(
          'closed',
          'the reporter is closed; the record is stored for the next page load',
        );
        this.persist(() => this.storage.put([record]));
        return;
      }
      this.track(record);
      this.queue.push(record);
      this.persist(() => this.storage.put([record]));
      this.enforceBound();
      this.schedule();
    } catch (error) {
      this.report('internal', `enqueue failed: ${String(error)}`);
    }
  }

  /**
   * Sends what is queued now, even during a backoff, after the request in flight if any; a
   * failure schedules retries as usual. With `keepalive` (page hide), sends one request the
   * browser lets finish after the page is gone: as many records as fit in
   * {@link KEEPALIVE_MAX_BYTES}, without waiting for a request in flight (the one exception to
   * "one at a time": the page may not live long enough to wait). Never rejects.
   */
  async flush(options: { keepalive?: boolean } = {}): Promise<void> {
    try {
      if (this.state === 'closed') return;
      if (options.keepalive === true) {
        const batch = this.keepaliveBatch();
        if (batch.length === 0) return;
        const retryIn = await this.deliver(batch, true);
        if (retryIn !== null) this.retryLater(retryIn);
        return;
      }
      await this.loaded;
      if (this.sending !== null) await this.sending;
      this.cancelTimer();
      await this.pump(true);
    } catch (error) {
      this.report('internal', `flush failed: ${String(error)}`);
    }
  }

  /**
   * Stops timers and the page-hide hook, then makes one last pass over the queue without retries.
   * What is still unacknowledged stays in the store for the next page load. Idempotent.
   */
  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.state = 'closing';
    this.cancelTimer();
    this.unsubscribePageHide();
    this.closing = (async () => {
      try {
        await this.loaded;
        if (this.sending !== null) await this.sending;
        await this.pump(true);
      } catch (error) {
        this.report('internal', `close failed: ${String(error)}`);
      } finally {
        this.cancelTimer();
        this.state = 'closed';
      }
    })();
    return this.closing;
  }

  private async loadPending(): Promise<void> {
    let stored: TelemetryRecord[];
    try {
      stored = await this.storage.loadAll();
    } catch (error) {
      this.storageFailed(error);
      return;
    }
    const known = new Set(this.queue.map((r) => r.id));
    const older = stored.filter((r) => typeof r?.id === 'string' && !known.has(r.id));
    if (older.length === 0) return;
    for (const record of older) this.track(record);
    this.queue = [...older, ...this.queue];
    this.enforceBound();
    // Records left by an earlier page are overdue: send them now rather than after an interval.
    if (this.state === 'open' && !this.backingOff) void this.pump(true);
  }

  private book(sessionId: string): SessionBook {
    let book = this.sessions.get(sessionId);
    if (book === undefined) {
      book = { nextSeq: 0, latest: null };
      this.sessions.set(sessionId, book);
    }
    return book;
  }

  private track(record: TelemetryRecord): void {
    const book = this.book(record.sessionId);
    if (record.seq >= book.nextSeq) book.nextSeq = record.seq + 1;
    if (book.latest === null || record.seq >= book.latest.seq) book.latest = record;
  }

  /** Keeps at most `maxQueue` records (not counting `dropped` ones), dropping the oldest. */
  private enforceBound(): void {
    let size = this.queue.reduce((n, r) => (r.kind === 'dropped' ? n : n + 1), 0);
    while (size > this.options.maxQueue) {
      const index = this.queue.findIndex((r) => r.kind !== 'dropped' && !this.inFlight.has(r.id));
      if (index < 0) return;
      const [evicted] = this.queue.splice(index, 1);
      if (evicted === undefined) return;
      size -= 1;
      this.persist(() => this.storage.delete([evicted.id]));
      this.countDropped(evicted);
    }
  }

  /** Adds one to the session's unsent `dropped` record, or writes a new one. */
  private countDropped(evicted: TelemetryRecord): void {
    if (!this.overflowing) {
      this.overflowing = true;
      this.report(
        'queue-full',
        `telemetry queue is full (${this.options.maxQueue}); dropping the oldest records`,
      );
    }
    const index = this.queue.findIndex(
      (r) => r.kind === 'dropped' && r.sessionId === evicted.sessionId && !this.inFlight.has(r.id),
    );
    const existing = this.queue[index];
    let record: TelemetryRecord;
    if (existing !== undefined && existing.kind === 'dropped') {
      record = { ...existing, data: { count: existing.data.count + 1 } };
      this.queue[index] = record;
    } else {
      const template = this.book(evicted.sessionId).latest ?? evicted;
      const id = this.platform.randomId?.() ?? randomRecordId();
      const envelope = envelopeOf(
        template,
        id,
        this.nextSeq(evicted.sessionId),
        this.platform.now(),
      );
      record = buildRecord(envelope, 'dropped', { count: 1 });
      this.queue.push(record);
    }
    this.persist(() => this.storage.put([record]));
  }

  private sendable(): TelemetryRecord[] {
    return this.queue.filter((r) => !this.inFlight.has(r.id));
  }

  /** Decides what happens after the queue changed: nothing, a batch timer, or a send now. */
  private schedule(): void {
    if (this.state !== 'open' || this.backingOff || this.sending !== null) return;
    const waiting = this.sendable().length;
    if (waiting === 0) return;
    if (waiting >= this.batchLimit) {
      this.cancelTimer();
      void this.pump(false);
    } else if (this.timer === null) {
      this.timer = this.platform.setTimeout(() => {
        this.timer = null;
        void this.pump(true);
      }, this.options.flushIntervalMs);
    }
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.platform.clearTimeout(this.timer);
    this.timer = null;
    this.backingOff = false;
  }

  private retryLater(delayMs: number): void {
    if (this.state !== 'open') return;
    this.cancelTimer();
    this.backingOff = true;
    this.timer = this.platform.setTimeout(() => {
      this.timer = null;
      this.backingOff = false;
      void this.pump(true);
    }, delayMs);
  }

  /**
   * Sends batches one at a time until the queue is empty or a delivery fails. Unless `force`d
   * (interval, retry, flush, close), it sends full batches only and leaves the rest to the timer.
   */
  private pump(force: boolean): Promise<void> {
    if (this.sending !== null) return this.sending;
    // `finally` runs as a reaction, so `sending` is set before it is cleared.
    this.sending = this.drain(force).finally(() => {
      this.sending = null;
      this.schedule();
    });
    return this.sending;
  }

  private async drain(force: boolean): Promise<void> {
    try {
      for (;;) {
        const batch = this.sendable().slice(0, this.batchLimit);
        if (batch.length === 0 || (!force && batch.length < this.batchLimit)) return;
        const retryIn = await this.deliver(batch, false);
        if (retryIn !== null) {
          this.retryLater(retryIn);
          return;
        }
      }
    } catch (error) {
      this.report('internal', `delivery failed: ${String(error)}`);
    }
  }

  private keepaliveBatch(): TelemetryRecord[] {
    const batch: TelemetryRecord[] = [];
    let bytes = bodyOverhead;
    for (const record of this.sendable()) {
      if (batch.length === MAX_BATCH_SIZE) break;
      const size = encoder.encode(JSON.stringify(record)).length + 1;
      if (bytes + size > KEEPALIVE_MAX_BYTES) continue;
      bytes += size;
      batch.push(record);
    }
    return batch;
  }

  /**
   * One request and its consequences. Returns null when the batch is settled (acknowledged, or
   * dropped as unacceptable), or the delay before the batch should be tried again.
   */
  private async deliver(batch: TelemetryRecord[], keepalive: boolean): Promise<number | null> {
    for (const record of batch) this.inFlight.add(record.id);
    try {
      let response: TelemetryResponse;
      try {
        response = await this.platform.fetch(this.options.endpoint, {
          method: 'POST',
          headers: { ...this.options.headers, 'Content-Type': 'application/json' },
          body: `{"records":[${batch.map((r) => JSON.stringify(r)).join(',')}]}`,
          keepalive,
        });
      } catch (error) {
        this.report('network', `telemetry request failed: ${errorMessage(error)}`);
        return this.backoff();
      }
      const status = response.status;
      if (status >= 200 && status < 300) {
        this.settle(batch, await readAnswer(response), status);
        return null;
      }
      if (status === 400) {
        const answer = await readAnswer(response);
        if (answer !== null && answer.rejected.length > 0) {
          this.settle(batch, answer, status);
          return null;
        }
        // The whole envelope was refused, so nothing was stored. Halving isolates the bad record
        // without losing the good ones.
        if (batch.length > 1) return this.split(batch, keepalive);
        this.discard(batch, 'rejected', `collector rejected record ${batch[0]?.id ?? ''}`, status);
        return null;
      }
      if (status === 413) {
        if (batch.length > 1) {
          this.batchLimit = Math.max(1, Math.ceil(batch.length / 2));
          return this.split(batch, keepalive);
        }
        this.discard(batch, 'too-large', 'a record is larger than the collector accepts', status);
        return null;
      }
      if (status === 401 || status === 403) {
        this.report('unauthorized', `collector refused the ingest key (HTTP ${status})`, status);
      } else if (status === 429) {
        this.report('rate-limited', 'collector rate limit reached (HTTP 429)', status);
      } else {
        this.report('http', `collector answered HTTP ${status}`, status);
      }
      return retryAfter(response, this.platform.now()) ?? this.backoff();
    } finally {
      for (const record of batch) this.inFlight.delete(record.id);
    }
  }

  private async split(batch: TelemetryRecord[], keepalive: boolean): Promise<number | null> {
    const half = Math.ceil(batch.length / 2);
    const first = await this.deliver(batch.slice(0, half), keepalive);
    if (first !== null) return first;
    return this.deliver(batch.slice(half), keepalive);
  }

  /** Full jitter: a uniform delay in [0, min(maxMs, baseMs * 2^attempt)). */
  private backoff(): number {
    const { baseMs, maxMs } = this.options.retry;
    const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(this.attempt, 30));
    this.attempt += 1;
    return Math.floor(this.platform.random() * ceiling);
  }

  /** A response that stored the batch, except the records it names as rejected. */
  private settle(batch: TelemetryRecord[], answer: CollectorAnswer | null, status: number): void {
    const rejected = new Set<string>();
    for (const entry of answer?.rejected ?? []) {
      const byId = typeof entry.id === 'string' ? batch.find((r) => r.id === entry.id) : undefined;
      const byIndex = typeof entry.index === 'number' ? batch[entry.index] : undefined;
      const record = byId ?? byIndex;
      if (record !== undefined) rejected.add(record.id);
    }
    if (rejected.size > 0) {
      const first = answer?.rejected[0];
      const detail =
        first === undefined ? '' : `: ${String(first.path ?? '')} ${String(first.message ?? '')}`;
      this.report(
        'rejected',
        `collector rejected ${rejected.size} record(s)${detail}`.trim(),
        status,
      );
    }
    const acknowledged = batch.filter((r) => !rejected.has(r.id));
    this.remove(batch.map((r) => r.id));
    this.attempt = 0;
    this.overflowing = false;
    this.safeEmit('delivered', {
      records: acknowledged.length,
      accepted: answer?.accepted.length ?? acknowledged.length,
      duplicates: answer?.duplicates.length ?? 0,
      rejected: rejected.size,
    });
  }

  private discard(
    batch: TelemetryRecord[],
    code: TelemetryErrorCode,
    message: string,
    status: number,
  ): void {
    this.remove(batch.map((r) => r.id));
    this.report(code, message, status);
  }

  private remove(ids: string[]): void {
    const gone = new Set(ids);
    this.queue = this.queue.filter((r) => !gone.has(r.id));
    this.persist(() => this.storage.delete(ids));
  }

  private persist(operation: () => Promise<void>): void {
    let pending: Promise<void>;
    try {
      pending = operation();
    } catch (error) {
      this.storageFailed(error);
      return;
    }
    pending.catch((error: unknown) => this.storageFailed(error));
  }

  private storageFailed(error: unknown): void {
    if (this.storage instanceof MemoryRecordStore) return;
    this.storage = new MemoryRecordStore();
    this.report(
      'storage',
      `telemetry storage unavailable, keeping records in memory: ${errorMessage(error)}`,
    );
  }

  private report(code: TelemetryErrorCode, message: string, status?: number): void {
    this.safeEmit(
      'telemetryerror',
      status === undefined ? { code, message } : { code, message, status },
    );
  }

  /** A listener's exception must not break delivery, nor reach the call. */
  private safeEmit<E extends keyof TelemetryReporterEvents>(
    event: E,
    ...args: TelemetryReporterEvents[E]
  ): void {
    try {
      // eventemitter3's typings cannot spread a generic tuple.
      (this.emit as (event: E, ...a: unknown[]) => boolean)(event, ...args);
    } catch {
      // Deliberately ignored: see above.
    }
  }
}

const bodyOverhead = '{"records":[]}'.length;

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

async function readAnswer(response: TelemetryResponse): Promise<CollectorAnswer | null> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    return null;
  }
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  const ids = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
  return {
    accepted: ids(b['accepted']),
    duplicates: ids(b['duplicates']),
    rejected: Array.isArray(b['rejected'])
      ? b['rejected'].filter(
          (r): r is CollectorAnswer['rejected'][number] => typeof r === 'object' && r !== null,
        )
      : [],
  };
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
function retryAfter(response: TelemetryResponse, now: number): number | null {
  const value = response.headers.get('Retry-After')?.trim();
  if (value === undefined || value === '') return null;
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - now;
  if (!Number.isFinite(ms)) return null;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}
