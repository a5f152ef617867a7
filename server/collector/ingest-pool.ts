/**
 * A small pool of ingest worker threads. Parsing and validating a batch (JSON.parse, schema,
 * forbidden-content scan) is about half of the CPU of an ingest; in workers it runs beside the
 * request thread, which keeps HTTP and the (synchronous, single-writer) SQLite transaction.
 */
import { Worker } from 'node:worker_threads';
import type { PreparedBatch } from './ingest.js';

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  pending: Map<number, { resolve: (r: PreparedBatch) => void; reject: (e: Error) => void }>;
}

export class IngestPool {
  private readonly slots: Slot[] = [];
  private nextId = 0;
  private closed = false;

  constructor(size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  private spawn(): Slot {
    const worker = new Worker(new URL('./ingest-worker-boot.mjs', import.meta.url));
    let markReady: () => void = () => {};
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      worker.once('error', reject);
    });
    ready.catch(() => {}); // surfaced through ready()/run(), not as an unhandled rejection
    const slot: Slot = { worker, ready, pending: new Map() };
    worker.unref();
    worker.on('message', (msg: { ready?: true; id: number; result: PreparedBatch }) => {
      if (msg.ready) return markReady();
      const { id, result } = msg;
      const p = slot.pending.get(id);
      slot.pending.delete(id);
      p?.resolve(result);
    });
    let dead = false;
    const fail = (err: Error) => {
      if (dead) return;
      dead = true;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      // Replace a dead worker so one crash does not take ingest down.
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`ingest worker exited with code ${code}`));
    });
    return slot;
  }

  /** Resolves once every worker has loaded (requests sent earlier simply queue). */
  async ready(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.ready));
  }

  /** Prepares a batch on the least busy worker. */
  run(raw: string): Promise<PreparedBatch> {
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.postMessage({ id, raw });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
