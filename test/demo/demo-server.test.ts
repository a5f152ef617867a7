// The demo server's HTTP side: pages, the per-process collector keys handed to same-origin
// pages only, rooms, the mounted collector, and paths that must not escape demo/ or dist/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { startDemoServer, type DemoServer } from '../../server/demo.js';

let demo: DemoServer;
const lines: string[] = [];

beforeAll(async () => {
  demo = await startDemoServer({
    port: 0,
    collectorDb: ':memory:',
    build: false,
    log: (line) => lines.push(line),
  });
}, 30_000);

afterAll(async () => {
  await demo?.close();
});

const get = (path: string, init?: RequestInit) => fetch(new URL(path, demo.url), init);

interface DemoConfig {
  telemetry: { path: string; headers: { Authorization: string } };
  report: { path: string; key: string };
}

describe('demo server', () => {
  it('serves the pages with a CSP that pins their inline scripts', async () => {
    for (const path of ['/', '/call.html', '/quick.html']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain('text/html');
      const csp = response.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    }
    const quick = await get('/quick.html');
    expect(quick.headers.get('content-security-policy')).toMatch(/script-src 'self' 'sha256-/);
    expect((await get('/css/demo.css')).headers.get('content-type')).toContain('text/css');
  });

  it('serves the ES module build’s two dependencies as browser-loadable modules', async () => {
    for (const path of ['/vendor/eventemitter3.mjs', '/vendor/webrtc-adapter-utils.mjs']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type')).toContain('javascript');
      expect(await response.text()).toMatch(/^export (function|\{)/m);
    }
  });

  it('refuses paths that leave demo/ or dist/, and dot files', async () => {
    for (const path of [
      '/..%2fpackage.json',
      '/%2e%2e/package.json',
      '/dist/..%2f..%2fpackage.json',
      '/.git/config',
      '/js/%00.js',
      '/%E0%A4%A',
    ]) {
      const response = await get(path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toContain('"name"');
    }
  });

  it('creates rooms on POST only, and the relay knows them', async () => {
    expect((await get('/api/rooms')).status).toBe(405);
    const response = await get('/api/rooms', { method: 'POST' });
    expect(response.status).toBe(201);
    const { room } = (await response.json()) as { room: string };
    expect(room).toMatch(/^[A-Za-z0-9_-]{12}$/);
    expect(demo.relay.hasRoom(room)).toBe(true);
  });

  it('hands the pages working collector keys and never logs them', async () => {
    const config = (await (await get('/demo-config.json')).json()) as DemoConfig;
    const ingest = config.telemetry.headers.Authorization;
    expect(ingest).toMatch(/^Bearer [\w-]{32}$/);
    // No CORS header on the config: other origins cannot read the keys.
    const fromElsewhere = await get('/demo-config.json', {
      headers: { origin: 'https://evil.example' },
    });
    expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();

    const sessionId = 'demo-test-session-1';
    const record = {
      id: 'rec-0001-demo-test',
      sessionId,
      seq: 0,
      time: Date.now(),
      kind: 'session-start',
    };
    // The mounted collector: ingest needs the key, the report needs the read key.
    expect((await get('/v1/events', { method: 'POST', body: '{}' })).status).toBe(401);
    const posted = await get('/v1/events', {
      method: 'POST',
      headers: { authorization: ingest, 'content-type': 'application/json' },
      body: JSON.stringify({ records: [record] }),
    });
    // The key was accepted (whatever the record schema then says about this minimal record).
    expect(posted.status).not.toBe(401);
    expect((await get('/report')).status).toBe(401);
    const report = await get(`/report?key=${encodeURIComponent(config.report.key)}`);
    expect(report.status).toBe(200);
    expect(await report.text()).toContain('</html>');
    expect((await get('/healthz')).status).toBe(200);

    const logged = lines.join('\n');
    expect(logged).not.toContain(ingest.slice('Bearer '.length));
    expect(logged).not.toContain(config.report.key);
  });

  it('accepts WebSocket upgrades at /signal only', async () => {
    const url = demo.url.replace('http', 'ws');
    const socket = new WebSocket(`${url}signal`);
    await new Promise<void>((done, fail) => {
      socket.once('open', () => done());
      socket.once('error', fail);
    });
    socket.close();
    const other = new WebSocket(`${url}elsewhere`);
    await expect(
      new Promise((_done, fail) => other.once('error', (error) => fail(error))),
    ).rejects.toThrow(/404/);
  });
});
