/**
 * When and how the call re-keys. Pass `rekey: false` to turn scheduled re-keys off (`call.rekey()`
 * and the other side's requests still work).
 * @example
 * // Demo settings: a fresh handshake every 30 s or 5 MB, whichever comes first.
 * { intervalMs: 30_000, maxBytes: 5_000_000 }
 */
export interface RekeyOptions {
  /**
   * Re-key when the current connection is this old. At least 1000.
   * @default 3_600_000 (1 hour)
   */
  intervalMs?: number;
  /**
   * Re-key when this many bytes were sent plus received on the current connection. At least 1024.
   * @default 1_000_000_000 (1 GB)
   */
  maxBytes?: number;
  /**
   * How long a new connection may take to connect and carry audio before the attempt is abandoned
   * (the old connection keeps the call) and retried with backoff.
   * @default 15_000
   */
  timeoutMs?: number;
  /**
   * Longest time the old connection stays open after this side's playout left it, waiting for
   * the other side's to (its `switched` message). Never less than `switchMs` is waited.
   * @default 5_000
   */
  maxOverlapMs?: number;
  /**
   * Longest time the old connection keeps playing once audio arrives on the new one. The new
   * connection plays silently for at least two thirds of it, so that its young jitter buffer
   * does its converging (stretching audio now and then) unheard. Meanwhile playout measures how
   * far apart the two connections play the same audio; once that offset has held still for a
   * quarter of `switchMs` (at most 2 s), it aligns the two to the sample and crossfades (10 ms),
   * so nothing is skipped or heard twice. At the end of `switchMs` it switches on the last
   * offset found (checked, or looked for within 5 ms, on the audio thread). Under 250 ms there is
   * no time to measure: a plain crossfade over `switchMs`.
   * Keep `intervalMs` well above it.
   * @default 6_000
   */
  switchMs?: number;
  /**
   * First retry delay after a failed attempt; doubles each failure (with jitter) up to `retryMaxMs`.
   * @default 2_000
   */
  retryBaseMs?: number;
  /** @default 60_000 */
  retryMaxMs?: number;
}

export type ResolvedRekeyOptions = Required<RekeyOptions> & { scheduled: boolean };

export const DEFAULT_REKEY: Readonly<Required<RekeyOptions>> = Object.freeze({
  intervalMs: 3_600_000,
  maxBytes: 1_000_000_000,
  timeoutMs: 15_000,
  maxOverlapMs: 5_000,
  switchMs: 6_000,
  retryBaseMs: 2_000,
  retryMaxMs: 60_000,
});

const MINIMUM: Record<keyof RekeyOptions, number> = {
  intervalMs: 1000,
  maxBytes: 1024,
  timeoutMs: 1000,
  maxOverlapMs: 0,
  switchMs: 0,
  retryBaseMs: 100,
  retryMaxMs: 100,
};

/** Validates `rekey` options; throws a TypeError naming the bad option. */
export function resolveRekeyOptions(value: unknown): ResolvedRekeyOptions {
  if (value === false) return { ...DEFAULT_REKEY, scheduled: false };
  if (value === undefined || value === true) return { ...DEFAULT_REKEY, scheduled: true };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('rekey must be an options object or false');
  }
  const resolved: ResolvedRekeyOptions = { ...DEFAULT_REKEY, scheduled: true };
  for (const [key, given] of Object.entries(value)) {
    if (!(key in MINIMUM)) throw new TypeError(`rekey.${key} is not a rekey option`);
    const min = MINIMUM[key as keyof RekeyOptions];
    if (typeof given !== 'number' || !Number.isFinite(given) || given < min) {
      throw new TypeError(`rekey.${key} must be a number >= ${min}`);
    }
    resolved[key as keyof RekeyOptions] = given;
  }
  if (resolved.retryMaxMs < resolved.retryBaseMs)
    throw new TypeError('rekey.retryMaxMs must be >= rekey.retryBaseMs');
  return resolved;
}
