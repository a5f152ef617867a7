// What the telemetry e2e asserts about a stored timeline, written independently of the SDK's and
// the collector's own sanitisers (so a shared bug in those cannot hide here).
import type { StoredRecord } from './collector';
import type { LoggedRecord } from './harness';

export type Role = 'caller' | 'callee';

/** Ids that occur more than once, with their counts. */
export function repeatedIds(ids: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return Object.fromEntries([...counts].filter(([, n]) => n > 1));
}

/**
 * Per role, the stored seqs in seq order, and what is wrong with them: each role's reporter
 * numbers its records 0, 1, 2... so they must be exactly that, each once.
 */
export function seqProblems(timeline: readonly StoredRecord[]): string[] {
  const problems: string[] = [];
  for (const role of ['caller', 'callee'] as const) {
    const seqs = timeline
      .filter((r) => r.record.role === role)
      .map((r) => r.record.seq)
      .sort((a, b) => a - b);
    seqs.forEach((seq, index) => {
      if (seq !== index) problems.push(`${role}: seq ${seq} at position ${index}`);
    });
    // Timeline order is (time, seq, id): within one role, time order must agree with seq order.
    const inTimelineOrder = timeline.filter((r) => r.record.role === role).map((r) => r.record.seq);
    for (let i = 1; i < inTimelineOrder.length; i += 1) {
      if (inTimelineOrder[i]! <= inTimelineOrder[i - 1]!) {
        problems.push(
          `${role}: seq ${inTimelineOrder[i]} follows ${inTimelineOrder[i - 1]} in the timeline`,
        );
      }
    }
  }
  return problems;
}

const IPV4 = /(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])/;
// A compressed IPv6 address (`::`), or eight colon-separated groups standing alone. Fingerprints
// (`AB:CD:...`, 32 groups of two) are checked separately and skipped here.
const IPV6 = /::|(?<![0-9a-f:])(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}(?![0-9a-f:])/i;
const FINGERPRINT = /^([0-9A-F]{2}:){19,63}[0-9A-F]{2}$/;

/** Where in a JSON value a forbidden thing occurs, as `path: reason` lines. */
export function forbiddenContent(text: string, addresses: readonly string[]): string[] {
  const problems: string[] = [];
  for (const needle of ['a=candidate', 'v=0', 'BEGIN CERTIFICATE', 'candidate:', 'BEGIN ']) {
    if (text.includes(needle)) problems.push(`raw text contains ${JSON.stringify(needle)}`);
  }
  for (const address of addresses) {
    // The exact addresses the calls used, as found in their SDP.
    if (text.includes(address)) problems.push(`raw text contains the call's address ${address}`);
  }
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (IPV4.test(value)) problems.push(`${path}: IPv4 literal`);
      if (!FINGERPRINT.test(value) && IPV6.test(value)) problems.push(`${path}: IPv6 literal`);
      if (/\r|\n/.test(value)) problems.push(`${path}: multi-line string`);
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => walk(item, `${path}/${index}`));
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) {
        if (IPV4.test(key) || IPV6.test(key)) problems.push(`${path}: key ${key}`);
        walk(item, `${path}/${key}`);
      }
    }
  };
  walk(JSON.parse(text), '');
  return problems;
}

/** The stored records of a role and kind, in seq order. */
export function recordsOf(
  timeline: readonly StoredRecord[],
  role: Role,
  kind: string,
): StoredRecord['record'][] {
  return timeline
    .map((r) => r.record)
    .filter((r) => r.role === role && r.kind === kind)
    .sort((a, b) => a.seq - b.seq);
}

/** Ids the page enqueued that the collector does not have, and ids it has that no page sent. */
export function compareIds(
  enqueued: readonly LoggedRecord[],
  stored: readonly StoredRecord[],
): { missing: LoggedRecord[]; unexpected: string[] } {
  const storedIds = new Set(stored.map((r) => r.record.id));
  const enqueuedIds = new Set(enqueued.map((r) => r.id));
  return {
    missing: enqueued.filter((r) => !storedIds.has(r.id)),
    unexpected: [...storedIds].filter((id) => !enqueuedIds.has(id)),
  };
}
