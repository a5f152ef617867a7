/**
 * Defence in depth for telemetry: builders pick fields that cannot hold addresses or SDP, and
 * every string they copy still passes through {@link redact}, so a bug elsewhere (an SDP line in
 * an error message, an address in a cipher name) cannot reach a collector.
 */

/** What replaces a string that looks like it carries something a record must never hold. */
export const REDACTED = '[redacted]';

// An octet without a leading zero. The look-arounds are the collector's (server/collector/
// forbidden.ts): a dotted quad anywhere not inside a longer digit run, so whatever it would
// refuse we redact first.
const OCTET = '(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const IPV4_RE = new RegExp(`(?<!\\d)(?:${OCTET}\\.){3}${OCTET}(?!\\d)`);

const H = '[0-9a-f]{1,4}';
// Every IPv6 form (addresses with an embedded dotted quad are caught by IPV4_RE). The lookarounds
// make a match stand alone: not inside a word (`std::string`) nor inside a longer colon-hex run.
// The latter keeps certificate fingerprints (`AB:CD:...`, 20 or 32 groups of two hex digits) out,
// although any 8 of their groups would spell an IPv6 address. A label before a colon does not
// hide an address (`ip:fe80::1`).
const IPV6 = [
  `(?:${H}:){7}${H}`,
  `(?:${H}:){1,7}:`,
  `(?:${H}:){1,6}:${H}`,
  `(?:${H}:){1,5}(?::${H}){1,2}`,
  `(?:${H}:){1,4}(?::${H}){1,3}`,
  `(?:${H}:){1,3}(?::${H}){1,4}`,
  `(?:${H}:){1,2}(?::${H}){1,5}`,
  `${H}:(?::${H}){1,6}`,
  `:(?::${H}){1,7}`,
  '::',
].join('|');
const IPV6_RE = new RegExp(`(?<![0-9a-z]|[0-9a-f]:)(?:${IPV6})(?![0-9a-z]|:[0-9a-f])`, 'i');

const FORBIDDEN: readonly RegExp[] = [
  IPV4_RE,
  IPV6_RE,
  /a=candidate/i,
  // An ICE candidate outside SDP, e.g. an mDNS one (`candidate:1 1 udp ... x.local ...`).
  /(?:^|[^\w-])candidate:\w/i,
  // Certificates, and any other PEM block (a private key).
  /BEGIN CERTIFICATE|-----BEGIN /i,
  /v=0\r?\n/,
];

/** True when `text` contains an IP address literal, an ICE candidate, a PEM block or SDP. */
export function isForbidden(text: string): boolean {
  return FORBIDDEN.some((re) => re.test(text));
}

/**
 * `text`, or {@link REDACTED} when it holds something forbidden; cut to `maxLength` (the
 * schema's limit for the field).
 */
export function redact(text: string, maxLength: number): string {
  if (isForbidden(text)) return REDACTED;
  return text.length > maxLength ? text.slice(0, maxLength) : text;
}

/**
 * For fields the schema constrains with a pattern (cipher names, fingerprints): the value when it
 * matches, else null ("unknown"), since `[redacted]` would not match either.
 */
export function matchOrNull(text: string | null, pattern: RegExp): string | null {
  return text !== null && pattern.test(text) && !isForbidden(text) ? text : null;
}
