/**
 * Query-string filters of the read endpoints (`from`, `to`, `compliant`, `dtlsVersion`,
 * `srtpProfile`, `limit`, `cursor`) and the parameterised SQL they become. Values only ever
 * travel as bound parameters; the SQL text is assembled from fixed fragments.
 */
import type { SessionSummary } from './store.js';
import type { Problem } from './validation.js';

export type SessionOrder = 'recent' | 'noncompliant-first';

export interface SessionFilter {
  /** Sessions with activity at or after this time (ms since the epoch). */
  from?: number;
  /** Sessions with activity at or before this time. */
  to?: number;
  compliant?: boolean;
  dtlsVersion?: string;
  srtpProfile?: string;
  limit: number;
  cursor?: Cursor;
  order: SessionOrder;
}

/** Position after the last row of a page: [non-compliant flag, first_time, id]. */
export type Cursor = [number, number, string];

const DTLS_VERSIONS = ['1.0', '1.2', '1.3'];
const SRTP_PROFILES = [
  'AES_CM_128_HMAC_SHA1_32',
  'AES_CM_128_HMAC_SHA1_80',
  'AEAD_AES_128_GCM',
  'AEAD_AES_256_GCM',
];

function parseTime(value: string): number | null {
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

export function encodeCursor(s: SessionSummary): string {
  const cursor: Cursor = [s.compliant ? 0 : 1, s.firstTime, s.id];
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

export function decodeCursor(value: string): Cursor | null {
  try {
    const c = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(c) &&
      c.length === 3 &&
      (c[0] === 0 || c[0] === 1) &&
      Number.isSafeInteger(c[1]) &&
      typeof c[2] === 'string' &&
      c[2].length <= 64
    ) {
      return c as Cursor;
    }
  } catch {
    // fall through: reported as a bad cursor
  }
  return null;
}

export interface LimitOptions {
  defaultLimit: number;
  maxLimit: number;
  order?: SessionOrder;
}

/** Parses and checks the filter query; bad values are reported, never ignored. */
export function parseSessionQuery(
  query: Record<string, unknown>,
  { defaultLimit, maxLimit, order = 'recent' }: LimitOptions,
): { filter: SessionFilter; problems: Problem[] } {
  const problems: Problem[] = [];
  const filter: SessionFilter = { limit: defaultLimit, order };
  const str = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined || v === '') return undefined;
    if (typeof v !== 'string') {
      problems.push({ path: `/query/${name}`, message: 'must be given once' });
      return undefined;
    }
    return v;
  };
  for (const name of ['from', 'to'] as const) {
    const v = str(name);
    if (v === undefined) continue;
    const t = parseTime(v);
    if (t === null)
      problems.push({
        path: `/query/${name}`,
        message: 'must be ms since the epoch or an ISO 8601 date',
      });
    else filter[name] = t;
  }
  const compliant = str('compliant');
  if (compliant !== undefined) {
    if (compliant === 'true' || compliant === 'false') filter.compliant = compliant === 'true';
    else problems.push({ path: '/query/compliant', message: 'must be true or false' });
  }
  const dtls = str('dtlsVersion');
  if (dtls !== undefined) {
    if (DTLS_VERSIONS.includes(dtls)) filter.dtlsVersion = dtls;
    else
      problems.push({
        path: '/query/dtlsVersion',
        message: `must be one of ${DTLS_VERSIONS.join(', ')}`,
      });
  }
  const srtp = str('srtpProfile');
  if (srtp !== undefined) {
    if (SRTP_PROFILES.includes(srtp)) filter.srtpProfile = srtp;
    else
      problems.push({
        path: '/query/srtpProfile',
        message: `must be one of ${SRTP_PROFILES.join(', ')}`,
      });
  }
  const limit = str('limit');
  if (limit !== undefined) {
    const n = Number(limit);
    if (Number.isInteger(n) && n >= 1 && n <= maxLimit) filter.limit = n;
    else
      problems.push({ path: '/query/limit', message: `must be an integer from 1 to ${maxLimit}` });
  }
  const cursor = str('cursor');
  if (cursor !== undefined) {
    const c = decodeCursor(cursor);
    if (c) filter.cursor = c;
    else problems.push({ path: '/query/cursor', message: 'is not a cursor returned by this API' });
  }
  return { filter, problems };
}

const NC = '(CASE WHEN violation_count + noncompliant_count > 0 THEN 1 ELSE 0 END)';

/**
 * SELECT for one page of sessions with `?` placeholders (PostgreSQL numbers them). Fetches one
 * row more than the limit so the caller knows whether there is a next page.
 */
export function sessionsQuery(filter: SessionFilter): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  if (filter.from !== undefined) {
    where.push('last_time >= ?');
    params.push(filter.from);
  }
  if (filter.to !== undefined) {
    where.push('first_time <= ?');
    params.push(filter.to);
  }
  if (filter.compliant !== undefined) where.push(`${NC} = ${filter.compliant ? 0 : 1}`);
  if (filter.dtlsVersion !== undefined) {
    where.push('dtls_version = ?');
    params.push(filter.dtlsVersion);
  }
  if (filter.srtpProfile !== undefined) {
    where.push('srtp_profile = ?');
    params.push(filter.srtpProfile);
  }
  if (filter.cursor) {
    const [nc, firstTime, id] = filter.cursor;
    const afterTime = '(first_time < ? OR (first_time = ? AND id < ?))';
    if (filter.order === 'noncompliant-first') {
      where.push(`(${NC} < ? OR (${NC} = ? AND ${afterTime}))`);
      params.push(nc, nc, firstTime, firstTime, id);
    } else {
      where.push(afterTime);
      params.push(firstTime, firstTime, id);
    }
  }
  const order =
    filter.order === 'noncompliant-first'
      ? `${NC} DESC, first_time DESC, id DESC`
      : 'first_time DESC, id DESC';
  params.push(filter.limit + 1);
  const sql = `SELECT * FROM sessions${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT ?`;
  return { sql, params };
}
