import type { TelemetryHook, TelemetrySession } from '../TelemetryHook.js';
import { CallRecorder, type RecordedCall } from './CallRecorder.js';
import type { TelemetryOptions } from './TelemetryOptions.js';
import { createTelemetryReporter } from './telemetryPlatform.js';
import type { TelemetryPlatform, TelemetryReporter } from './TelemetryReporter.js';

/** A telemetry hook that also exposes its reporter, for apps that want delivery events. */
export interface Telemetry extends TelemetryHook {
  readonly reporter: TelemetryReporter;
}

/**
 * Compliance telemetry for one call: pass the result as the call's `telemetry` option.
 * Validates the options now (TypeError naming the bad one); sending starts when the call does.
 * Records that were not acknowledged before a reload are sent from IndexedDB on the next load.
 * @example
 * import { SecureCall } from 'rekey-rtc';
 * import { telemetry } from 'rekey-rtc/telemetry';
 * const call = new SecureCall({
 *   role: 'caller',
 *   send,
 *   telemetry: telemetry({ endpoint: '/v1/events', headers: { Authorization: 'Bearer ingest-key' } }),
 * });
 */
export function telemetry(
  options: TelemetryOptions,
  platform?: Partial<TelemetryPlatform>,
): Telemetry {
  const reporter = createTelemetryReporter(options, platform);
  let recorder: CallRecorder | null = null;
  let closing: Promise<void> | null = null;
  return {
    kind: 'rekey-rtc.telemetry',
    reporter,
    attach(call: RecordedCall, session: TelemetrySession): void {
      if (recorder) throw new Error('a telemetry() hook serves one call: make one per call');
      recorder = new CallRecorder(call, { ...session, sink: reporter });
      recorder.start();
    },
    onError(listener) {
      reporter.on('telemetryerror', listener);
    },
    close(): Promise<void> {
      recorder?.detach();
      closing ??= reporter.close();
      return closing;
    },
  };
}
