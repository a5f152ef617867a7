/**
 * The raw JSON text of each record in a batch body, so the collector stores exactly what the
 * client sent without re-serialising every record (JSON.stringify of 50 records was ~15% of
 * ingest CPU). Only called on text that JSON.parse accepted and whose envelope validated; any
 * shape it does not expect (an escaped "records" key, a duplicate key) returns null and the
 * caller falls back to JSON.stringify.
 */
const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

function skipWs(raw: string, i: number): number {
  while (i < raw.length && isWs(raw.charCodeAt(i))) i++;
  return i;
}

/** Index of the quote closing the string that opens at `i`, or -1. */
function endOfString(raw: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = raw.indexOf('"', from);
    if (q === -1) return -1;
    let backslashes = 0;
    while (raw.charCodeAt(q - 1 - backslashes) === 0x5c) backslashes++;
    if (backslashes % 2 === 0) return q;
    from = q + 1;
  }
}

export function recordSlices(raw: string, expected: number): string[] | null {
  let i = skipWs(raw, 0);
  if (raw.charCodeAt(i) !== 0x7b) return null; // {
  i = skipWs(raw, i + 1);
  if (!raw.startsWith('"records"', i)) return null;
  i = skipWs(raw, i + 9);
  if (raw.charCodeAt(i) !== 0x3a) return null; // :
  i = skipWs(raw, i + 1);
  if (raw.charCodeAt(i) !== 0x5b) return null; // [
  const slices: string[] = [];
  let depth = 0;
  let start = -1;
  let closed = false;
  for (i++; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x22) {
      i = endOfString(raw, i);
      if (i === -1) return null;
    } else if (c === 0x7b || c === 0x5b) {
      if (depth === 0) start = i;
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      if (depth === 0) {
        if (c !== 0x5d) return null;
        closed = true;
        break;
      }
      depth--;
      if (depth === 0) slices.push(raw.slice(start, i + 1));
    } else if (depth === 0 && c !== 0x2c && !isWs(c)) {
      return null; // a scalar element: not a record
    }
  }
  if (!closed) return null;
  i = skipWs(raw, i + 1);
  if (raw.charCodeAt(i) !== 0x7d) return null; // } closing the envelope, nothing after it
  if (skipWs(raw, i + 1) !== raw.length) return null;
  return slices.length === expected ? slices : null;
}
