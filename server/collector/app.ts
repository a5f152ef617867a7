/**
 * The reference telemetry collector: `buildCollector()` returns a configured Fastify instance
 * (not listening). Migrations run in its onReady hook, so `await app.ready()` (or listen/inject)
 * leaves the store ready.
 */
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerOptions,
} from 'fastify';
import { bearerToken, digest, KeyRing, type Scope } from './auth.js';
import { toCsv } from './csv.js';
import { decodeCursor, parseSessionQuery, type SessionFilter } from './filters.js';
import { prepareBatch, type PreparedBatch, type RejectedRecord } from './ingest.js';
import { IngestPool } from './ingest-pool.js';
import { REPORT_CSP, renderMessagePage, renderSessionPage, renderSessionsPage } from './report.js';
import type { SessionSummary, Store } from './store.js';
import type { Problem } from './validation.js';

export type { RejectedRecord } from './ingest.js';

export interface CollectorOptions {
  store: Store;
  /** Bearer tokens allowed to POST /v1/events (at least 16 characters each). */
  ingestKeys: readonly string[];
  /** Bearer tokens allowed to read sessions, exports and the report. */
  readKeys: readonly string[];
  /** Browser origins allowed by CORS, e.g. `https://app.example.com`. Empty: no CORS headers. */
  corsOrigins?: readonly string[];
  /** Largest accepted request body. Default 1 MiB. */
  bodyLimitBytes?: number;
  /** Requests per minute per key (or per IP without a key). 0 disables. Default 6000. */
  rateLimitPerMin?: number;
  /** Fastify logger option. Default: off. The request serializer never prints `?key=`. */
  logger?: FastifyServerOptions['logger'];
  /** Close the store when the app closes. Default true. */
  closeStore?: boolean;
  /**
   * Worker threads that parse and validate batches beside the request thread. 0 (default):
   * in the request thread. 1 is right for a 2-core machine (see the Collector ingest section of BENCHMARKS.md).
   */
  ingestWorkers?: number;
}

export interface IngestResponse {
  accepted: string[];
  duplicates: string[];
  rejected: RejectedRecord[];
}

/** Session ids in URLs: the record schema's id pattern. */
const TOKEN = /^[A-Za-z0-9_-]{8,64}$/;

/** `?key=...` must never reach a log line. */
export const redactUrl = (url: string): string => url.replace(/([?&]key=)[^&#]*/gi, '$1[redacted]');

declare module 'fastify' {
  interface FastifyRequest {
    /** Scopes of the presented key, computed once per request (rate limiter and auth). */
    keyScopes?: Set<Scope>;
    /** The read key as given in `?key=` (to carry on report links), or null. */
    queryKey?: string | null;
  }
}

/** Fastify's default request serializer prints the URL, which may hold `?key=`. */
function withSafeSerializers(logger: CollectorOptions['logger']): FastifyServerOptions['logger'] {
  if (!logger) return false;
  return {
    ...(typeof logger === 'object' ? logger : {}),
    serializers: {
      req: (req: { method: string; url: string }) => ({
        method: req.method,
        url: redactUrl(req.url),
      }),
    },
  };
}

function presentedToken(req: FastifyRequest, allowQueryKey: boolean): string | null {
  const fromHeader = bearerToken(req.headers.authorization);
  if (fromHeader) return fromHeader;
  if (!allowQueryKey) return null;
  const key = (req.query as Record<string, unknown> | undefined)?.key;
  return typeof key === 'string' && key.length > 0 && key.length <= 512 ? key : null;
}

export function buildCollector(options: CollectorOptions): FastifyInstance {
  const { store } = options;
  const keys = new KeyRing(options.ingestKeys, options.readKeys);
  if (options.ingestKeys.length === 0 || options.readKeys.length === 0) {
    throw new Error('at least one ingest key and one read key are required');
  }
  const bodyLimit = options.bodyLimitBytes ?? 1024 * 1024;
  const rateLimitPerMin = options.rateLimitPerMin ?? 6000;
  const corsOrigins = new Set(options.corsOrigins ?? []);

  const app = Fastify({
    bodyLimit,
    logger: withSafeSerializers(options.logger),
    // Our own JSON parser and validators; nothing in Fastify should coerce or strip input.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

  app.addHook('onReady', async () => {
    await store.migrate();
  });
  if (options.closeStore ?? true) app.addHook('onClose', async () => store.close());

  // JSON bodies arrive as text: prepareBatch() parses them (in a worker when configured) and
  // keeps each record's text as sent. No text/plain: ingest needs the Authorization header,
  // which only fetch can send, so there is no sendBeacon path to support.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) =>
    done(null, body),
  );

  const pool =
    options.ingestWorkers && options.ingestWorkers > 0
      ? new IngestPool(options.ingestWorkers)
      : null;
  if (pool) {
    app.addHook('onReady', async () => pool.ready());
    app.addHook('onClose', async () => pool.close());
  }
  const prepare = (raw: string): Promise<PreparedBatch> | PreparedBatch =>
    pool ? pool.run(raw) : prepareBatch(raw);

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const statusCode = err.statusCode ?? 500;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).send({
        error: 'body too large',
        details: [{ path: '/', message: `must be at most ${bodyLimit} bytes` }],
      });
    }
    if (statusCode === 429) {
      // The rate limiter already set Retry-After and the x-ratelimit-* headers.
      return reply
        .code(429)
        .send({ error: 'rate limited', details: [{ path: '/', message: err.message }] });
    }
    if (statusCode >= 400 && statusCode < 500) {
      return reply
        .code(statusCode)
        .send({ error: err.message, details: [{ path: '/', message: err.message }] });
    }
    req.log.error(
      { err: { message: err.message, code: err.code, stack: err.stack } },
      'request failed',
    );
    return reply.code(500).send({ error: 'internal error', details: [] });
  });
  app.setNotFoundHandler((_req, reply) =>
    reply.code(404).send({ error: 'not found', details: [] }),
  );

  if (corsOrigins.size > 0) {
    app.register(cors, {
      origin: (origin, cb) => cb(null, origin !== undefined && corsOrigins.has(origin)),
      methods: ['GET', 'POST'],
      allowedHeaders: ['Authorization', 'Content-Type'],
      maxAge: 600,
    });
  }

  if (rateLimitPerMin > 0) {
    // Not global: each route lists the limiter first and the key check second, so that failed
    // key checks are rate limited too (a global limiter would run after a route's own hooks).
    app.register(rateLimit, {
      global: false,
      max: rateLimitPerMin,
      timeWindow: 60_000,
      // Per valid key, named by its digest; callers without a valid key are limited per IP (so
      // made-up keys cannot open fresh buckets).
      keyGenerator: (req) => {
        const token = presentedToken(req, true);
        if (token && scopesOf(req, token).size > 0)
          return `key:${digest(token).subarray(0, 16).toString('hex')}`;
        return `ip:${req.ip}`;
      },
    });
  }

  const scopesOf = (req: FastifyRequest, token: string): Set<Scope> =>
    (req.keyScopes ??= keys.scopes(token));

  /** onRequest guard: 401 unless the token grants `scope`. */
  const requireScope = (scope: Scope, allowQueryKey: boolean, html = false) =>
    async function authenticate(req: FastifyRequest, reply: FastifyReply) {
      const token = presentedToken(req, allowQueryKey);
      const scopes = token ? scopesOf(req, token) : new Set<Scope>();
      if (scopes.has(scope)) {
        req.queryKey = bearerToken(req.headers.authorization) ? null : token;
        return;
      }
      const message = !token
        ? 'missing API key (Authorization: Bearer <key>)'
        : scopes.size > 0
          ? `this key may not ${scope === 'ingest' ? 'ingest records' : 'read'}`
          : 'unknown API key';
      reply.code(401).header('www-authenticate', 'Bearer');
      if (html) {
        reply.header('content-security-policy', REPORT_CSP).type('text/html; charset=utf-8');
        return reply.send(
          renderMessagePage(
            'Read key required',
            `${message}. Open this page with ?key=<read key>, or send it as a bearer token.`,
            true,
          ),
        );
      }
      return reply.send({ error: message, details: [{ path: '/headers/authorization', message }] });
    };

  app.register(async (scope) => {
    const limited = (guard: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
      rateLimitPerMin > 0 ? [scope.rateLimit(), guard] : [guard];

    scope.get('/healthz', async () => ({ ok: true, store: store.kind }));

    scope.post(
      '/v1/events',
      { onRequest: limited(requireScope('ingest', false)) },
      async (req, reply) => {
        const prepared = await prepare(req.body as string);
        if (!prepared.ok)
          return reply.code(400).send({ error: prepared.error, details: prepared.details });
        const { rows: toStore, rejected, batchDuplicates } = prepared;
        const inserted =
          toStore.length > 0 ? await store.ingest(toStore, Date.now()) : new Set<string>();
        const result: IngestResponse = { accepted: [], duplicates: [], rejected };
        for (const r of toStore)
          (inserted.has(r.id) ? result.accepted : result.duplicates).push(r.id);
        result.duplicates.push(...batchDuplicates);
        if (rejected.length > 0) {
          return reply
            .code(400)
            .send({ error: `${rejected.length} of ${prepared.total} records rejected`, ...result });
        }
        return result;
      },
    );

    const readGuard = limited(requireScope('read', true));
    const badQuery = (reply: FastifyReply, problems: Problem[]) =>
      reply.code(400).send({ error: 'invalid query', details: problems });

    scope.get('/v1/sessions', { onRequest: readGuard }, async (req, reply) => {
      const { filter, problems } = parseSessionQuery(req.query as Record<string, unknown>, {
        defaultLimit: 100,
        maxLimit: 1000,
      });
      if (problems.length) return badQuery(reply, problems);
      reply.header('cache-control', 'no-store');
      return store.listSessions(filter);
    });

    scope.get('/v1/sessions/:id', { onRequest: readGuard }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const session = TOKEN.test(id) ? await store.getSession(id) : null;
      if (!session) return reply.code(404).send({ error: 'no such session', details: [] });
      reply.header('cache-control', 'no-store');
      return { session, timeline: await store.getTimeline(id) };
    });

    /** Every page of the filter, up to `limit` sessions (exports are for auditors, not paging). */
    const exportSessions = async (
      filter: SessionFilter,
    ): Promise<{ sessions: SessionSummary[]; nextCursor: string | null }> => {
      const sessions: SessionSummary[] = [];
      let page = await store.listSessions({ ...filter, limit: Math.min(filter.limit, 1000) });
      sessions.push(...page.sessions);
      while (page.nextCursor && sessions.length < filter.limit) {
        page = await store.listSessions({
          ...filter,
          cursor: decodeCursor(page.nextCursor)!,
          limit: Math.min(1000, filter.limit - sessions.length),
        });
        sessions.push(...page.sessions);
      }
      return { sessions, nextCursor: page.nextCursor };
    };

    scope.get('/v1/export.json', { onRequest: readGuard }, async (req, reply) => {
      const { filter, problems } = parseSessionQuery(req.query as Record<string, unknown>, {
        defaultLimit: 10_000,
        maxLimit: 100_000,
      });
      if (problems.length) return badQuery(reply, problems);
      const { sessions, nextCursor } = await exportSessions(filter);
      const withTimelines = [];
      for (const s of sessions)
        withTimelines.push({
          ...s,
          records: (await store.getTimeline(s.id)).map((r) => ({
            receivedAt: r.receivedAt,
            ...r.record,
          })),
        });
      reply
        .header('cache-control', 'no-store')
        .header('content-disposition', 'attachment; filename="rekey-rtc-sessions.json"');
      return {
        schema: 'rekey-rtc.telemetry/1',
        exportedAt: new Date().toISOString(),
        nextCursor,
        sessions: withTimelines,
      };
    });

    scope.get('/v1/export.csv', { onRequest: readGuard }, async (req, reply) => {
      const query = req.query as Record<string, unknown>;
      const { filter, problems } = parseSessionQuery(query, {
        defaultLimit: 10_000,
        maxLimit: 100_000,
      });
      const rows = query.rows ?? 'sessions';
      if (rows !== 'sessions' && rows !== 'records')
        problems.push({ path: '/query/rows', message: 'must be sessions or records' });
      if (problems.length) return badQuery(reply, problems);
      const { sessions, nextCursor } = await exportSessions(filter);
      let csv: string;
      if (rows === 'sessions') {
        csv = toCsv(SESSION_CSV_HEADER, sessions.map(sessionCsvRow));
      } else {
        const lines: unknown[][] = [];
        for (const s of sessions)
          for (const r of await store.getTimeline(s.id))
            lines.push(recordCsvRow(r.record, r.receivedAt));
        csv = toCsv(RECORD_CSV_HEADER, lines);
      }
      if (nextCursor) reply.header('x-next-cursor', nextCursor);
      return reply
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="rekey-rtc-${rows}.csv"`)
        .type('text/csv; charset=utf-8')
        .send(csv);
    });

    const htmlReply = (reply: FastifyReply) =>
      reply
        .type('text/html; charset=utf-8')
        .header('content-security-policy', REPORT_CSP)
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .header('cache-control', 'no-store');

    scope.get(
      '/report',
      { onRequest: limited(requireScope('read', true, true)) },
      async (req, reply) => {
        const query = req.query as Record<string, string | undefined>;
        const { filter, problems } = parseSessionQuery(query, {
          defaultLimit: 200,
          maxLimit: 1000,
          order: 'noncompliant-first',
        });
        if (problems.length) {
          return htmlReply(reply.code(400)).send(
            renderMessagePage(
              'Invalid filter',
              problems.map((p) => `${p.path.replace('/query/', '')} ${p.message}`).join('; '),
              false,
            ),
          );
        }
        const page = await store.listSessions(filter);
        return htmlReply(reply).send(
          renderSessionsPage({
            ...page,
            filter,
            query,
            key: req.queryKey ?? null,
            generatedAt: Date.now(),
          }),
        );
      },
    );

    scope.get(
      '/report/sessions/:id',
      { onRequest: limited(requireScope('read', true, true)) },
      async (req, reply) => {
        const { id } = req.params as { id: string };
        const session = TOKEN.test(id) ? await store.getSession(id) : null;
        if (!session)
          return htmlReply(reply.code(404)).send(
            renderMessagePage(
              'No such session',
              'No records were received for this session id.',
              false,
            ),
          );
        return htmlReply(reply).send(
          renderSessionPage(session, await store.getTimeline(id), req.queryKey ?? null),
        );
      },
    );
  });

  return app;
}

const SESSION_CSV_HEADER = [
  'session_id',
  'first_time',
  'last_time',
  'roles',
  'browsers',
  'record_count',
  'max_generation',
  'rekey_count',
  'rekey_failed_count',
  'dtls_version',
  'srtp_profile',
  'dtls_cipher',
  'compliant',
  'violation_count',
  'noncompliant_snapshot_count',
  'dropped_count',
  'ended_reason',
  'ended_time',
  'duration_ms',
];

function sessionCsvRow(s: SessionSummary): unknown[] {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return [
    s.id,
    iso(s.firstTime),
    iso(s.lastTime),
    s.roles.join(' '),
    s.browsers
      .map((b) => `${b.role}:${b.name}${b.version === null ? '' : ` ${b.version}`}`)
      .join('; '),
    s.recordCount,
    s.maxGeneration,
    s.rekeyCount,
    s.rekeyFailedCount,
    s.dtlsVersion,
    s.srtpProfile,
    s.dtlsCipher,
    s.compliant,
    s.violationCount,
    s.nonCompliantSnapshotCount,
    s.droppedCount,
    s.endedReason,
    iso(s.endedTime),
    s.durationMs,
  ];
}

const RECORD_CSV_HEADER = [
  'session_id',
  'seq',
  'record_id',
  'time',
  'received_at',
  'kind',
  'role',
  'generation',
  'browser',
  'dtls_version',
  'dtls_cipher',
  'srtp_profile',
  'forward_secrecy',
  'compliant',
  'local_fingerprint',
  'remote_fingerprint',
  'previous_fingerprint',
  'previous_remote_fingerprint',
  'reason',
  'rule',
  'message',
];

function recordCsvRow(r: Record<string, unknown>, receivedAt: number): unknown[] {
  const data = (r.data ?? {}) as Record<string, unknown>;
  const snap = (data.snapshot ?? {}) as Record<string, unknown>;
  const browser = (r.browser ?? {}) as { name?: string; version?: number | null };
  return [
    r.sessionId,
    r.seq,
    r.id,
    new Date(r.time as number).toISOString(),
    new Date(receivedAt).toISOString(),
    r.kind,
    r.role,
    r.generation,
    `${browser.name ?? ''}${browser.version == null ? '' : ` ${browser.version}`}`,
    snap.dtlsVersion,
    snap.dtlsCipher,
    snap.srtpProfile,
    snap.forwardSecrecy,
    snap.compliant,
    data.fingerprint ?? snap.localFingerprint,
    data.remoteFingerprint ?? snap.remoteFingerprint,
    data.previousFingerprint,
    data.previousRemoteFingerprint,
    data.reason ?? data.code,
    data.rule,
    data.message,
  ];
}
