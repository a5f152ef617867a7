/**
 * The `telemetry` option of `SecureCall`: where compliance records go and how they are delivered.
 * @example
 * new SecureCall({
 *   telemetry: {
 *     endpoint: 'https://collector.example.com/v1/events',
 *     headers: { Authorization: 'Bearer ingest-key' },
 *   },
 * });
 */
export interface TelemetryOptions {
  /**
   * Absolute http(s) URL of the collector's ingest route. Records are POSTed there as
   * `{ "records": [...] }`.
   * @example 'https://collector.example.com/v1/events'
   */
  endpoint: string;
  /**
   * Extra request headers, typically the ingest key. `Content-Type` is always JSON.
   * @default {}
   * @example { Authorization: 'Bearer ingest-key' }
   */
  headers?: Record<string, string>;
  /**
   * Most records per request (1 to 500, the collector's limit). A full batch is sent at once,
   * without waiting for the interval.
   * @default 50
   * @example 100
   */
  batchSize?: number;
  /**
   * How long a record may wait for more to join its batch, in milliseconds.
   * @default 5000
   * @example 1000
   */
  flushIntervalMs?: number;
  /**
   * Most records kept while the collector is unreachable; at least `batchSize`. On overflow the
   * oldest are dropped and a `dropped` record with their count takes their place.
   * @default 1000
   * @example 5000
   */
  maxQueue?: number;
  /**
   * Exponential backoff between failed deliveries: the n-th retry waits a random time between 0
   * and `min(maxMs, baseMs * 2^n)` ("full jitter").
   * @default { baseMs: 1000, maxMs: 60000 }
   * @example { baseMs: 500, maxMs: 30000 }
   */
  retry?: {
    /** @default 1000 @example 500 */
    baseMs?: number;
    /** @default 60000 @example 30000 */
    maxMs?: number;
  };
  /**
   * Keep records in IndexedDB until the collector acknowledges them, so a reload or a crash loses
   * none: the next page load on the same origin sends them. Falls back to memory (and emits one
   * `telemetryerror`) where IndexedDB is unavailable, e.g. in some private modes.
   * @default true
   * @example false
   */
  persist?: boolean;
}

/** {@link TelemetryOptions} with every default filled in. */
export interface ResolvedTelemetryOptions {
  endpoint: string;
  headers: Record<string, string>;
  batchSize: number;
  flushIntervalMs: number;
  maxQueue: number;
  retry: { baseMs: number; maxMs: number };
  persist: boolean;
}

export const TELEMETRY_DEFAULTS = Object.freeze({
  batchSize: 50,
  flushIntervalMs: 5000,
  maxQueue: 1000,
  retryBaseMs: 1000,
  retryMaxMs: 60_000,
});

/** The collector accepts at most this many records per request. */
export const MAX_BATCH_SIZE = 500;

const KEYS = [
  'endpoint',
  'headers',
  'batchSize',
  'flushIntervalMs',
  'maxQueue',
  'retry',
  'persist',
];

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function integer(name: string, value: unknown, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new TypeError(`telemetry.${name} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * Validates the `telemetry` option and fills in defaults. Throws a `TypeError` naming the bad
 * option, e.g. `telemetry.endpoint must be an http(s) URL`.
 */
export function resolveTelemetryOptions(options: unknown): ResolvedTelemetryOptions {
  if (!isPlainObject(options)) throw new TypeError('telemetry must be an object or false');
  for (const key of Object.keys(options)) {
    if (!KEYS.includes(key)) throw new TypeError(`telemetry.${key} is not a telemetry option`);
  }

  const endpoint = options['endpoint'];
  let url: URL | null = null;
  try {
    url = typeof endpoint === 'string' ? new URL(endpoint) : null;
  } catch {
    url = null;
  }
  if (url === null || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new TypeError('telemetry.endpoint must be an http(s) URL');
  }

  const given = options['headers'] ?? {};
  if (!isPlainObject(given)) throw new TypeError('telemetry.headers must be an object of strings');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(given)) {
    if (typeof value !== 'string')
      throw new TypeError(`telemetry.headers.${name} must be a string`);
    headers[name] = value;
  }

  const batchSize = integer(
    'batchSize',
    options['batchSize'],
    TELEMETRY_DEFAULTS.batchSize,
    1,
    MAX_BATCH_SIZE,
  );
  const flushIntervalMs = integer(
    'flushIntervalMs',
    options['flushIntervalMs'],
    TELEMETRY_DEFAULTS.flushIntervalMs,
    1,
    3_600_000,
  );
  const maxQueue = integer(
    'maxQueue',
    options['maxQueue'],
    TELEMETRY_DEFAULTS.maxQueue,
    batchSize,
    1_000_000,
  );

  const retry = options['retry'] ?? {};
  if (!isPlainObject(retry)) throw new TypeError('telemetry.retry must be an object');
  for (const key of Object.keys(retry)) {
    if (key !== 'baseMs' && key !== 'maxMs') {
      throw new TypeError(`telemetry.retry.${key} is not a retry option`);
    }
  }
  const baseMs = integer(
    'retry.baseMs',
    retry['baseMs'],
    TELEMETRY_DEFAULTS.retryBaseMs,
    1,
    3_600_000,
  );
  const maxMs = integer(
    'retry.maxMs',
    retry['maxMs'],
    Math.max(baseMs, TELEMETRY_DEFAULTS.retryMaxMs),
    baseMs,
    86_400_000,
  );

  const persist = options['persist'] ?? true;
  if (typeof persist !== 'boolean') throw new TypeError('telemetry.persist must be a boolean');

  return {
    endpoint: url.href,
    headers,
    batchSize,
    flushIntervalMs,
    maxQueue,
    retry: { baseMs, maxMs },
    persist,
  };
}
