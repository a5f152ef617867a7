// What the demo server tells its pages (/demo-config.json, same origin): where telemetry goes
// with which ingest key, and the collector's report with a read key.

export async function loadDemoConfig() {
  try {
    const response = await fetch('/demo-config.json', { cache: 'no-store' });
    if (!response.ok) return null;
    return await response.json();
  } catch {
    return null;
  }
}

/**
 * The SecureCall `telemetry` option, made by the add-on's `telemetry()` (one per call), or
 * false when the server gave no collector.
 */
export function telemetryOption(config, telemetry) {
  if (!config?.telemetry) return false;
  return telemetry({
    endpoint: new URL(config.telemetry.path, location.origin).href,
    headers: config.telemetry.headers,
    // Short batches, so the audit report shows the call while it runs.
    flushIntervalMs: 1000,
  });
}

/** The collector's audit page for one session (the call id), or null. */
export function reportLink(config, callId) {
  if (!config?.report) return null;
  const url = new URL(
    `${config.report.path}/sessions/${encodeURIComponent(callId)}`,
    location.origin,
  );
  url.searchParams.set('key', config.report.key);
  return url.href;
}

/** The collector's list of every session, or null. */
export function reportIndexLink(config) {
  if (!config?.report) return null;
  const url = new URL(config.report.path, location.origin);
  url.searchParams.set('key', config.report.key);
  return url.href;
}
