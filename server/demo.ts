/**
 * `npm start`: the whole demo in one Node process on 127.0.0.1: the demo pages (demo/), the SDK
 * bundles (dist/) and the ES module build's two dependencies, the WebSocket signaling relay at
 * /signal, and the reference collector (SQLite) at /v1/*, /report and /healthz.
 *
 * The collector's keys are generated per process and never printed: the pages get the ingest key
 * and the report link (read key in `?key=`) from /demo-config.json, same origin only.
 *
 * Environment: PORT (default 8080, 0 picks a free one), HOST (default 127.0.0.1),
 * DEMO_COLLECTOR_DB (default ./data/demo-collector.db; ':memory:' keeps nothing).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { buildCollector } from './collector/app.js';
import { SqliteStore } from './collector/sqlite-store.js';
import { SignalingRelay } from './signaling/SignalingRelay.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DEMO_DIR = resolve(ROOT, 'demo');
const DIST_FILES = [
  'rekey-rtc.mjs',
  'rekey-rtc.umd.min.js',
  'telemetry.mjs',
  'rekey-rtc-telemetry.umd.min.js',
];

export interface DemoServerOptions {
  /** @default 8080 */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** SQLite file of the collector. @default './data/demo-collector.db' */
  collectorDb?: string;
  /** @default console.log */
  log?: (line: string) => void;
  /** Build dist/ first when it is missing. Tests that do not load the SDK pass false. @default true */
  build?: boolean;
}

export interface DemoServer {
  /** e.g. `http://127.0.0.1:8080/` */
  url: string;
  relay: SignalingRelay;
  collector: FastifyInstance;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

const COLLECTOR_PATHS = /^\/(v1\/|report(\/|$)|healthz$)/;

/** Fails early with a readable message when the SDK bundles are missing. */
export function ensureBuilt(log: (line: string) => void): void {
  const missing = DIST_FILES.filter((file) => !existsSync(resolve(ROOT, 'dist', file)));
  if (missing.length === 0) return;
  log(`demo: dist/ has no ${missing.join(', ')}; building the SDK (npm run build)...`);
  const result = spawnSync(process.execPath, [resolve(ROOT, 'scripts/build.mjs')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0 || DIST_FILES.some((f) => !existsSync(resolve(ROOT, 'dist', f)))) {
    throw new Error('the SDK build failed: run `npm ci` and `npm run build`, then `npm start`');
  }
}

/** Maps a URL path under `prefix` to a file under `dir`, or null if it would leave `dir`. */
function fileUnder(dir: string, path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;
  const file = resolve(dir, ...segments);
  return file.startsWith(dir + sep) ? file : null;
}

/** CSP for a page: only same-origin scripts plus the page's own inline scripts, by hash. */
function contentSecurityPolicy(html: string): string {
  const hashes = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    (m) => `'sha256-${createHash('sha256').update(m[1]!).digest('base64')}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${hashes.join(' ')}`.trim(),
    "connect-src 'self'",
    "media-src 'self' blob: mediastream:",
    "img-src 'self' data:",
    // Inline styles are harmless next to hash-locked scripts, and browser tooling injects some.
    "style-src 'self' 'unsafe-inline'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function startDemoServer(options: DemoServerOptions = {}): Promise<DemoServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const host = options.host ?? '127.0.0.1';
  if (options.build ?? true) ensureBuilt(log);
  const distDir = existsSync(resolve(ROOT, 'dist'))
    ? await realpath(resolve(ROOT, 'dist'))
    : resolve(ROOT, 'dist');
  const vendor: Record<string, string> = {
    '/vendor/eventemitter3.mjs': resolve(
      ROOT,
      'node_modules/eventemitter3/dist/eventemitter3.esm.js',
    ),
    // The ES source of the one webrtc-adapter file the ES module build imports (it has no imports).
    '/vendor/webrtc-adapter-utils.mjs': resolve(
      ROOT,
      'node_modules/webrtc-adapter/src/js/utils.js',
    ),
  };

  // Keys live as long as this process; a fresh start means fresh keys (and a page reload).
  const ingestKey = randomBytes(24).toString('base64url');
  const readKey = randomBytes(24).toString('base64url');
  const relay = new SignalingRelay({ log: (line) => log(`signal: ${line}`) });
  let collector: FastifyInstance | null = null;

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      log(`demo: request failed (${error.name}: ${error.message})`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });

  const reply = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    res.end(body);
  };
  const json = (res: ServerResponse, status: number, value: unknown) =>
    reply(res, status, MIME['.json']!, JSON.stringify(value));

  async function sendFile(req: IncomingMessage, res: ServerResponse, file: string) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) return reply(res, 404, 'text/plain; charset=utf-8', 'not found');
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    const body = await readFile(file);
    const headers: Record<string, string> = {
      'content-type': type,
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    };
    if (type.startsWith('text/html'))
      headers['content-security-policy'] = contentSecurityPolicy(String(body));
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (COLLECTOR_PATHS.test(path)) {
      if (!collector) return json(res, 503, { error: 'collector starting' });
      collector.routing(req, res);
      return;
    }
    if (path === '/api/rooms') {
      if (req.method !== 'POST') return json(res, 405, { error: 'use POST' });
      try {
        return json(res, 201, { room: relay.createRoom() });
      } catch {
        return json(res, 503, { error: 'too many rooms open; try again later' });
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return json(res, 405, { error: 'method not allowed' });
    if (path === '/demo-config.json') {
      // Same-origin pages only read this (no CORS headers); it is what lets them report.
      return json(res, 200, {
        telemetry: { path: '/v1/events', headers: { Authorization: `Bearer ${ingestKey}` } },
        report: { path: '/report', key: readKey },
      });
    }
    const vendored = vendor[path];
    if (vendored) return sendFile(req, res, vendored);
    if (path.startsWith('/dist/')) {
      const file = fileUnder(distDir, path.slice('/dist/'.length));
      return file ? sendFile(req, res, file) : reply(res, 404, 'text/plain', 'not found');
    }
    const file = fileUnder(DEMO_DIR, path === '/' ? 'index.html' : path);
    return file ? sendFile(req, res, file) : reply(res, 404, 'text/plain', 'not found');
  }

  relay.attach(server);
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 8080, host, () => done());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const dbFile = options.collectorDb ?? resolve(ROOT, 'data/demo-collector.db');
  collector = buildCollector({
    store: new SqliteStore(dbFile),
    ingestKeys: [ingestKey],
    readKeys: [readKey],
    corsOrigins: [origin, `http://localhost:${port}`],
  });
  await collector.ready();

  return {
    url: `${origin}/`,
    relay,
    collector,
    close: async () => {
      await relay.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
      await collector?.close();
    },
  };
}

async function main(): Promise<void> {
  const raw = process.env.PORT ?? '8080';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`demo: PORT must be an integer from 0 to 65535, not '${raw}'`);
    process.exit(2);
  }
  let demo: DemoServer;
  try {
    demo = await startDemoServer({
      port,
      host: process.env.HOST || '127.0.0.1',
      collectorDb: process.env.DEMO_COLLECTOR_DB || undefined,
    });
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    console.error(
      e.code === 'EADDRINUSE'
        ? `demo: port ${port} is in use; try PORT=8081 npm start`
        : `demo: could not start: ${e.message}`,
    );
    process.exit(1);
  }
  console.log(`\nrekey-rtc demo running at ${demo.url}`);
  console.log(
    '  open it in two tabs or two browsers, or use "Quick look" for both sides in one page',
  );
  console.log(
    `  signaling: ${demo.url.replace('http', 'ws')}signal   collector: ${demo.url}report`,
  );
  console.log(
    '  (collector keys are generated for this process and handed to the pages, never printed)',
  );
  const shutdown = () => {
    console.log('\ndemo: shutting down');
    demo.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
