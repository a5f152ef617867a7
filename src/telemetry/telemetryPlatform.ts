import { IndexedDbRecordStore, MemoryRecordStore } from './RecordStore.js';
import { TelemetryReporter } from './TelemetryReporter.js';
import type { TelemetryPlatform } from './TelemetryReporter.js';
import { resolveTelemetryOptions } from './TelemetryOptions.js';
import type { TelemetryOptions } from './TelemetryOptions.js';

/** `pagehide`, and `visibilitychange` to hidden: mobile browsers may skip the first. */
function onPageHide(callback: () => void): () => void {
  if (typeof addEventListener !== 'function' || typeof document === 'undefined')
    return () => undefined;
  const onVisibility = (): void => {
    if (document.visibilityState === 'hidden') callback();
  };
  addEventListener('pagehide', callback);
  document.addEventListener('visibilitychange', onVisibility);
  return () => {
    removeEventListener('pagehide', callback);
    document.removeEventListener('visibilitychange', onVisibility);
  };
}

/**
 * The browser's platform for the reporter. Created on demand so that importing the SDK touches
 * nothing. With `persist`, records go to IndexedDB; the reporter falls back to memory (and says so
 * once) where IndexedDB is missing or refuses to open.
 */
export function telemetryPlatform(persist: boolean): TelemetryPlatform {
  return {
    fetch: (url, init) => globalThis.fetch(url, init),
    // Bound through arrows: a detached `window.setTimeout` throws "Illegal invocation".
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    random: () => Math.random(),
    storage: persist ? new IndexedDbRecordStore() : new MemoryRecordStore(),
    onPageHide,
  };
}

/** A reporter on the browser's platform; `overrides` replace parts of it (tests, custom storage). */
export function createTelemetryReporter(
  options: TelemetryOptions,
  overrides: Partial<TelemetryPlatform> = {},
): TelemetryReporter {
  const resolved = resolveTelemetryOptions(options);
  return new TelemetryReporter(resolved, { ...telemetryPlatform(resolved.persist), ...overrides });
}
