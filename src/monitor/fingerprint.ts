/** A certificate fingerprint as used in SDP: algorithm plus uppercase hex pairs. */
export interface Fingerprint {
  algorithm: string;
  value: string;
}

const HEX_PAIRS = /^[0-9A-F]{2}(:[0-9A-F]{2})+$/;

/** Uppercases a fingerprint and checks it is colon-separated hex pairs; null otherwise. */
export function normalizeFingerprint(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const upper = value.trim().toUpperCase();
  return HEX_PAIRS.test(upper) ? upper : null;
}

/**
 * Reads the first `a=fingerprint` line of an SDP (session or media level). Firefox has no
 * `certificate` stats, so the SDP is where its fingerprints are (FACTS.md). With BUNDLE every
 * m-section carries the same one.
 */
export function fingerprintFromSdp(sdp: string | undefined | null): Fingerprint | null {
  if (!sdp) return null;
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp);
  if (!match || !match[1] || !match[2]) return null;
  const value = normalizeFingerprint(match[2]);
  return value ? { algorithm: match[1].toLowerCase(), value } : null;
}
