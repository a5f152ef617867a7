import type { Platform } from '../platform.js';
import type { RekeyReason } from '../types.js';
import type { ResolvedRekeyOptions } from './RekeyOptions.js';

/**
 * Decides when the next re-key is due: by age of the current connection, by its byte count, or
 * after a failed attempt by exponential backoff with jitter. It only calls `onDue`; the call
 * decides what a re-key means.
 */
export class RekeyScheduler {
  private timer: unknown = null;
  private armedAt = 0;
  private failures = 0;
  private bytesFired = false;

  constructor(
    private readonly platform: Platform,
    private readonly options: ResolvedRekeyOptions,
    private readonly onDue: (reason: RekeyReason) => void,
  ) {}

  /** Starts the clock for a new generation. Resets the failure count. */
  arm(): void {
    this.failures = 0;
    this.bytesFired = false;
    this.armedAt = this.platform.now();
    this.schedule(this.options.intervalMs, 'interval');
  }

  /** Milliseconds until the interval trigger, or null when nothing is scheduled. */
  get msUntilInterval(): number | null {
    if (!this.options.scheduled || this.timer === null || this.failures > 0) return null;
    return Math.max(0, this.armedAt + this.options.intervalMs - this.platform.now());
  }

  /** Feeds the current connection's byte count; fires once per generation at the limit. */
  observeBytes(total: number): void {
    if (!this.options.scheduled || this.bytesFired || total < this.options.maxBytes) return;
    this.bytesFired = true;
    this.onDue('bytes');
  }

  /**
   * Schedules a retry after a failed attempt and returns its delay. Full jitter: a random delay
   * between half and all of the exponential step, so two sides that failed together drift apart.
   */
  retry(reason: RekeyReason): number {
    this.failures += 1;
    const step = Math.min(
      this.options.retryMaxMs,
      this.options.retryBaseMs * 2 ** (this.failures - 1),
    );
    const delay = Math.round(step / 2 + (this.platform.randomFraction() * step) / 2);
    this.clear();
    this.timer = this.platform.setTimeout(() => {
      this.timer = null;
      this.onDue(reason);
    }, delay);
    return delay;
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Stops every timer. Safe to call more than once. */
  disarm(): void {
    this.clear();
  }

  private schedule(ms: number, reason: RekeyReason): void {
    this.clear();
    if (!this.options.scheduled) return;
    this.timer = this.platform.setTimeout(() => {
      this.timer = null;
      this.onDue(reason);
    }, ms);
  }

  private clear(): void {
    if (this.timer !== null) this.platform.clearTimeout(this.timer);
    this.timer = null;
  }
}
