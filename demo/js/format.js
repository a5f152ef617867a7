// Small, pure formatting helpers shared by the demo pages.

/** `AB:CD:EF:01:…:23:45:67:89`: first and last four hex pairs of a fingerprint. */
export function shortFingerprint(fingerprint) {
  if (!fingerprint) return '—';
  const pairs = fingerprint.split(':');
  if (pairs.length <= 8) return fingerprint;
  return `${pairs.slice(0, 4).join(':')}…${pairs.slice(-4).join(':')}`;
}

/** 1536 → `1.5 KB`, decimal units as network counters are usually read. */
export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} KB`;
  if (bytes < 1_000_000_000) return `${(bytes / 1_000_000).toFixed(2)} MB`;
  return `${(bytes / 1_000_000_000).toFixed(2)} GB`;
}

/** 83_000 → `1:23`; 3_723_000 → `1:02:03`. */
export function formatCountdown(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function formatMs(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  return ms < 10_000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function clockTime(date = new Date()) {
  return date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

const STATE_LABELS = {
  new: 'Not started',
  connecting: 'Connecting',
  connected: 'Connected',
  rekeying: 'Re-keying',
  closed: 'Ended',
  failed: 'Failed',
};

export function stateLabel(state) {
  return STATE_LABELS[state] ?? state;
}

const REASONS = {
  interval: 'scheduled (time)',
  bytes: 'scheduled (bytes)',
  manual: 'manual',
  remote: 'requested by the other side',
  policy: 'policy',
  recovery: 'recovery',
};

export function rekeyReasonLabel(reason) {
  return REASONS[reason] ?? reason;
}

/** How playout moved to the new connection (a rekey report's `handover`), in a few words. */
export function handoverLabel(handover) {
  if (!handover) return 'audio switch not reported';
  const after = formatMs(handover.waitedMs);
  switch (handover.method) {
    case 'aligned':
      return handover.shortfallMs > 0
        ? `audio switched after ${after}, aligned but for ${formatMs(handover.shortfallMs)}`
        : `audio switched after ${after}, aligned to the sample (offset ${handover.lagMs} ms)`;
    case 'unverified':
      return `audio switched after ${after} on the last offset measured (${handover.lagMs} ms), unchecked`;
    case 'crossfade':
      return `audio crossfaded after ${after}, unaligned`;
    default:
      return 'audio track swapped (no WebAudio)';
  }
}

const CLOSE_REASONS = {
  local: 'you hung up',
  remote: 'the other side hung up',
  'connection-failed': 'the connection failed',
  'start-timeout': 'the other side did not answer in time',
};

export function closeReasonLabel(reason) {
  if (typeof reason === 'string' && reason.startsWith('policy:')) {
    return `closed by the policy (rule ${reason.slice('policy:'.length)})`;
  }
  return CLOSE_REASONS[reason] ?? reason;
}
