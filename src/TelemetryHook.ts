import type { Policy } from './policy/Policy.js';
import type { TelemetryError } from './telemetry/TelemetryReporter.js';
import type { RecordedCall } from './telemetry/CallRecorder.js';

/** What a call tells its telemetry once the call id is known. */
export interface TelemetrySession {
  callId: string;
  role: 'caller' | 'callee';
  policy: Policy;
  rekey: { intervalMs: number; maxBytes: number } | null;
  sdkVersion: string;
  browser: { name: string; version: number | null };
  now: () => number;
}

/**
 * The seam between a call and its compliance telemetry. The telemetry add-on
 * (`rekey-rtc/telemetry`, or the `RekeyRTCTelemetry` script) makes one with `telemetry(options)`;
 * the core only calls these three methods, so calls without telemetry ship none of its code.
 */
export interface TelemetryHook {
  readonly kind: 'rekey-rtc.telemetry';
  /** Starts recording the call's events. Called once, when the call id is known. */
  attach(call: RecordedCall, session: TelemetrySession): void;
  /** Reports delivery trouble; the call re-emits it as `telemetryerror`. */
  onError(listener: (error: TelemetryError) => void): void;
  /** Stops recording and flushes what it can. Called once, after the call's `close` event. */
  close(): Promise<void>;
}

/** Checks the `telemetry` option: `false`, omitted, or a hook made by `telemetry(options)`. */
export function resolveTelemetryHook(value: unknown): TelemetryHook | null {
  if (value === undefined || value === false) return null;
  const hook = value as Partial<TelemetryHook> | null;
  if (hook && hook.kind === 'rekey-rtc.telemetry' && typeof hook.attach === 'function')
    return hook as TelemetryHook;
  throw new TypeError(
    "telemetry must be made by telemetry({ endpoint }) from 'rekey-rtc/telemetry' (script tag: RekeyRTCTelemetry.telemetry), or be false",
  );
}
