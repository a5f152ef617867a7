/**
 * Defence in depth behind the schema's closed shapes: no string anywhere in a record may carry
 * an IP address literal, an ICE candidate line, a certificate body or an SDP blob. Free-text
 * fields (messages) are where such things would leak, e.g. an error message quoting an address.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Problem } from './validation.js';

const MARKERS: ReadonlyArray<[string, string]> = [
  ['a=candidate', 'contains an ICE candidate line'],
  ['BEGIN CERTIFICATE', 'contains a certificate body'],
  ['v=0\r\n', 'contains an SDP session description'],
];

// Dotted quads anywhere, even inside "host:1.2.3.4:5000". The look-arounds keep longer digit
// runs (e.g. "6167" in a full browser version) from matching partially.
const IPV4 = /(?<![\d])(?:\d{1,3}\.){3}\d{1,3}(?!\d)/g;
// Runs of address-ish characters. Letters are included so that "std::string" or a certificate
// fingerprint ("AB:CD:...", 32 groups) stays one token and is not mistaken for IPv6.
const TOKEN = /[0-9A-Za-z:.%]*:[0-9A-Za-z:.%]*/g;

/** Why the string is forbidden, or null if it is clean. */
export function forbiddenReason(value: string): string | null {
  for (const [marker, reason] of MARKERS) if (value.includes(marker)) return reason;
  if (value.includes('.')) {
    for (const m of value.matchAll(IPV4)) if (isIPv4(m[0])) return 'contains an IPv4 address';
  }
  if (value.includes(':')) {
    for (const m of value.matchAll(TOKEN)) {
      const token = m[0];
      if (token.length < 2) continue;
      // Strip a zone ("fe80::1%eth0") and sentence punctuation ("at ::1.").
      const bare = token.split('%')[0]!;
      if (isIPv6(bare) || isIPv6(bare.replace(/\.+$/, '')) || isIPv6(bare.replace(/[.:]$/, ''))) {
        return 'contains an IPv6 address';
      }
    }
  }
  return null;
}

/** Walks a parsed record; returns the first forbidden string's JSON Pointer and reason. */
export function findForbidden(value: unknown, path = ''): Problem | null {
  if (typeof value === 'string') {
    const reason = forbiddenReason(value);
    return reason ? { path: path || '/', message: reason } : null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbidden(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      const found =
        forbiddenReason(key) !== null
          ? { path: path || '/', message: 'has a forbidden field name' }
          : findForbidden(child, `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      if (found) return found;
    }
  }
  return null;
}
