import type { TelemetryRecord } from './records.js';

/**
 * Where the reporter keeps records until the collector acknowledges them. Writes go through the
 * reporter's memory queue, so a store only has to survive what memory does not: a reload, a crash.
 */
export interface RecordStore {
  /** Adds records, or replaces those with the same id. */
  put(records: readonly TelemetryRecord[]): Promise<void>;
  /** Removes records by id; unknown ids are ignored. */
  delete(ids: readonly string[]): Promise<void>;
  /** Every stored record, of any session, oldest first. */
  loadAll(): Promise<TelemetryRecord[]>;
}

/** Oldest first: by time, then session and sequence number, so each session stays in order. */
export function compareRecords(a: TelemetryRecord, b: TelemetryRecord): number {
  if (a.time !== b.time) return a.time - b.time;
  if (a.sessionId !== b.sessionId) return a.sessionId < b.sessionId ? -1 : 1;
  return a.seq - b.seq;
}

/** A store that lasts as long as the page: for tests and where IndexedDB is unavailable. */
export class MemoryRecordStore implements RecordStore {
  private readonly records = new Map<string, TelemetryRecord>();

  async put(records: readonly TelemetryRecord[]): Promise<void> {
    for (const record of records) this.records.set(record.id, record);
  }

  async delete(ids: readonly string[]): Promise<void> {
    for (const id of ids) this.records.delete(id);
  }

  async loadAll(): Promise<TelemetryRecord[]> {
    return [...this.records.values()].sort(compareRecords);
  }

  /** How many records are stored. */
  get size(): number {
    return this.records.size;
  }
}

const OBJECT_STORE = 'records';

export interface IndexedDbRecordStoreOptions {
  /**
   * Database name. IndexedDB is per origin, so one name serves every page of the origin.
   * @default 'rekey-rtc-telemetry'
   */
  name?: string;
  /** The IndexedDB factory; tests pass fake-indexeddb's. @default globalThis.indexedDB */
  indexedDB?: IDBFactory;
}

function settle<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
  });
}

function completion(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () =>
      reject(transaction.error ?? new Error('IndexedDB transaction failed'));
    transaction.onabort = () =>
      reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * Records in an IndexedDB object store keyed by record id. The database opens on first use; every
 * method rejects when IndexedDB is missing or refuses to open (private modes, a blocked upgrade),
 * and the reporter then falls back to memory.
 */
export class IndexedDbRecordStore implements RecordStore {
  private readonly name: string;
  private readonly factory: IDBFactory | undefined;
  private db: Promise<IDBDatabase> | null = null;

  constructor(options: IndexedDbRecordStoreOptions = {}) {
    this.name = options.name ?? 'rekey-rtc-telemetry';
    this.factory = options.indexedDB ?? globalThis.indexedDB;
  }

  async put(records: readonly TelemetryRecord[]): Promise<void> {
    if (records.length === 0) return;
    const transaction = (await this.open()).transaction(OBJECT_STORE, 'readwrite');
    const store = transaction.objectStore(OBJECT_STORE);
    for (const record of records) store.put(record);
    await completion(transaction);
  }

  async delete(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const transaction = (await this.open()).transaction(OBJECT_STORE, 'readwrite');
    const store = transaction.objectStore(OBJECT_STORE);
    for (const id of ids) store.delete(id);
    await completion(transaction);
  }

  async loadAll(): Promise<TelemetryRecord[]> {
    const transaction = (await this.open()).transaction(OBJECT_STORE, 'readonly');
    const records = await settle(transaction.objectStore(OBJECT_STORE).getAll());
    return (records as TelemetryRecord[]).sort(compareRecords);
  }

  /** Closes the database; a later call opens it again. */
  close(): void {
    const db = this.db;
    this.db = null;
    db?.then((d) => d.close()).catch(() => undefined);
  }

  private open(): Promise<IDBDatabase> {
    if (this.db === null) {
      this.db = this.connect();
      // A failed open is retried on the next call rather than cached.
      this.db.catch(() => {
        this.db = null;
      });
    }
    return this.db;
  }

  private connect(): Promise<IDBDatabase> {
    const factory = this.factory;
    if (factory === undefined) return Promise.reject(new Error('IndexedDB is not available'));
    return new Promise((resolve, reject) => {
      let request: IDBOpenDBRequest;
      try {
        request = factory.open(this.name, 1);
      } catch (error) {
        // Some browsers throw synchronously (SecurityError) in sandboxed or opaque origins.
        reject(error);
        return;
      }
      request.onupgradeneeded = () => {
        request.result.createObjectStore(OBJECT_STORE, { keyPath: 'id' });
      };
      request.onblocked = () => reject(new Error('IndexedDB open is blocked by another tab'));
      request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
      request.onsuccess = () => {
        const db = request.result;
        // Let another tab upgrade the database rather than block it.
        db.onversionchange = () => {
          db.close();
          this.db = null;
        };
        resolve(db);
      };
    });
  }
}
