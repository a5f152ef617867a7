#!/usr/bin/env node
// A tiny static file server for the e2e pages: serves the repository root on 127.0.0.1 so pages
// load /dist/rekey-rtc.mjs, /dist/rekey-rtc.umd.min.js and /node_modules/... as a browser would.
// 127.0.0.1 is a secure context, which WebRTC and WebAudio need.
// CLI: node e2e/support/static-server.mjs [port]   (port 0 or none: pick a free one)
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const MIME_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.wav': 'audio/wav',
  '.txt': 'text/plain; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Maps a request path to a file under root, or null when it would leave root (`..`, encoded
 * slashes, NUL) or touch a dot-directory such as .git.
 * @param {string} root absolute, real path
 * @param {string} rawPath the URL path, still percent-encoded
 */
export function resolveRequestPath(root, rawPath) {
  let pathname;
  try {
    pathname = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (pathname.includes('\0') || pathname.includes('\\')) return null;
  const segments = pathname.split('/').filter(Boolean);
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;
  const file = resolve(root, ...segments);
  return file === root || file.startsWith(root + sep) ? file : null;
}

/**
 * @param {{ root?: string, host?: string, port?: number }} [options]
 * @returns {Promise<{ url: string, close: () => Promise<void> }>}
 */
export async function startStaticServer(options = {}) {
  const root = await realpath(options.root ?? fileURLToPath(new URL('../..', import.meta.url)));
  const host = options.host ?? '127.0.0.1';

  const server = createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const candidate = resolveRequestPath(root, url.pathname);
    if (candidate === null) return send(403, 'forbidden');
    try {
      // Symlinks inside the repository are followed (a linked node_modules works); only the
      // request path is confined to root, which is what a visitor controls.
      const file = candidate;
      const info = await stat(file);
      if (!info.isFile()) return send(404, 'not found');
      res.writeHead(200, {
        'content-type': MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-store',
      });
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).pipe(res);
    } catch {
      send(404, 'not found');
    }
  });

  await new Promise((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, host, done);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === (await realpath(process.argv[1]))) {
  const { url } = await startStaticServer({ port: Number(process.argv[2] ?? 0) });
  console.log(`serving the repository at ${url}`);
}
