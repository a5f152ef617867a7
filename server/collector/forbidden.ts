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
const IPV4_ANY = /\d\.\d{1,3}\.\d{1,3}\.\d/;
// Runs of address-ish characters. Letters are included so that "std::string" or a certificate
// fingerprint ("AB:CD:...", 32 groups) stays one token and is not mistaken for IPv6.
const TOKEN = /[0-9A-Za-z:.%]*:[0-9A-Za-z:.%]*/g;

// A whole certificate fingerprint (16+ hex pairs): never an address, and the most common string
// with colons in a record, so it skips the tokenizer.
const FINGERPRINT = /^([0-9A-F]{2}:){15,63}[0-9A-F]{2}$/;

function colonCount(value: string): number {
  let n = 0;
  for (let i = value.indexOf(':'); i !== -1; i = value.indexOf(':', i + 1)) n++;
  return n;
}

// Every forbidden thing has one of these; most strings in a record (enums, ids) have none, so
// one test rules them out.
const SUSPECT = /[.:=]|BEGIN/;

/** Why the string is forbidden, or null if it is clean. */
export function forbiddenReason(value: string): string | null {
  if (value.length < 2 || !SUSPECT.test(value)) return null;
  if (value.includes('=') || value.includes('BEGIN')) {
    for (const [marker, reason] of MARKERS) if (value.includes(marker)) return reason;
  }
  // test() first: matchAll() clones the regex, and most dotted strings are versions like "1.3".
  if (value.includes('.') && IPV4_ANY.test(value)) {
    for (const m of value.matchAll(IPV4)) if (isIPv4(m[0])) return 'contains an IPv4 address';
  }
  // Every IPv6 literal has "::" or 7 colons (a form with an embedded IPv4 was caught above).
  if (value.includes('::') || (!FINGERPRINT.test(value) && colonCount(value) >= 7)) {
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

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Walks a parsed record; returns the first forbidden string's JSON Pointer and reason. Field
 * names are not checked: this runs after schema validation, whose closed shapes allow only
 * known names.
 */
export function findForbidden(value: unknown, path = ''): Problem | null {
  if (typeof value === 'string') {
    const reason = forbiddenReason(value);
    return reason ? { path: path || '/', message: reason } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findForbidden(value[i], `${path}/${i}`);
      if (found) return found;
    }
    return null;
  }
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const child = (value as Record<string, unknown>)[key];
    // Paths are only built on the way down to non-scalars or on a hit, not for every field.
    if (typeof child === 'string') {
      const reason = forbiddenReason(child);
      if (reason) return { path: `${path}/${escapePointer(key)}`, message: reason };
    } else if (child !== null && typeof child === 'object') {
      const found = findForbidden(child, `${path}/${escapePointer(key)}`);
      if (found) return found;
    }
  }
  return null;
}
