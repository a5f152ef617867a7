/**
 * The collector's HTTP contract, run identically against SQLite and PostgreSQL.
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../server/collector/store.js';
import { backends, collector, ingestAuth, READ_KEY, readAuth } from './harness.js';
import { record, session, snapshot, uid, type Kind } from './records.js';

type Rec = Record<string, unknown>;

describe.each(backends())('collector on $name', (backend) => {
  let store: Store;
  let app: FastifyInstance;

  beforeAll(async () => {
    await backend.setup();
    store = backend.store();
    app = collector(store);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await backend.teardown();
  });

  const post = (payload: unknown, headers: Record<string, string> = ingestAuth) =>
    app.inject({ method: 'POST', url: '/v1/events', headers, payload: payload as Rec });
  const get = (url: string, headers: Record<string, string> = readAuth) =>
    app.inject({ method: 'GET', url, headers });
  const timelineIds = async (sessionId: string): Promise<string[]> => {
    const res = await get(`/v1/sessions/${sessionId}`);
    if (res.statusCode === 404) return [];
    return (res.json().timeline as { record: Rec }[]).map((t) => t.record.id as string);
  };

  it('stores a valid batch of every record kind and returns it as an ordered timeline', async () => {
    const sid = uid('s');
    const kinds: Kind[] = [
      'session-start',
      'handshake',
      'snapshot',
      'rekey',
      'rekey-failed',
      'violation',
      'dropped',
      'session-end',
    ];
    const records = kinds.map((kind, seq) =>
      record(kind, {
        sessionId: sid,
        seq,
        time: 1_764_288_000_000 + seq * 10,
        generation: kind === 'rekey' || kind === 'session-end' ? 1 : 0,
      }),
    );
    const res = await post({ records: [...records].reverse() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      accepted: records.map((r) => r.id).reverse(),
      duplicates: [],
      rejected: [],
    });

    const detail = await get(`/v1/sessions/${sid}`);
    expect(detail.statusCode).toBe(200);
    const body = detail.json();
    expect(body.timeline.map((t: { record: Rec }) => t.record)).toEqual(records);
    expect(body.session).toMatchObject({
      id: sid,
      recordCount: 8,
      roles: ['caller'],
      browsers: [{ role: 'caller', name: 'chrome', version: 156 }],
      maxGeneration: 1,
      rekeyCount: 1,
      rekeyFailedCount: 1,
      violationCount: 1,
      droppedCount: 3,
      compliant: false,
      dtlsVersion: '1.3',
      srtpProfile: 'AES_CM_128_HMAC_SHA1_80',
      endedReason: 'local',
      durationMs: 61000,
      firstTime: 1_764_288_000_000,
      lastTime: 1_764_288_000_070,
    });
  });

  // Each case breaks one record in a batch of three: the other two must still be stored.
  const badRecords: [string, (r: Rec) => void, string, RegExp][] = [
    ['wrong type (seq as string)', (r) => (r.seq = '1'), '/seq', /must be integer/],
    ['wrong type (generation negative)', (r) => (r.generation = -1), '/generation', /must be >= 0/],
    ['missing envelope field', (r) => delete r.policy, '/policy', /is required/],
    [
      'missing nested field',
      (r) => delete (r.data as { snapshot: Rec }).snapshot.srtpProfile,
      '/data/snapshot/srtpProfile',
      /is required/,
    ],
    ['unknown kind', (r) => (r.kind = 'telepathy'), '/kind', /must be one of/],
    ['extra top-level field', (r) => (r.sdp = 'o=- 1 1 IN IP4'), '/sdp', /not an allowed field/],
    [
      'extra nested field',
      (r) => ((r.data as { snapshot: Rec }).snapshot.remoteAddress = 'x'),
      '/data/snapshot/remoteAddress',
      /not an allowed field/,
    ],
    [
      'lowercase fingerprint',
      (r) => ((r.data as { snapshot: Rec }).snapshot.localFingerprint = 'ab:cd'),
      '/data/snapshot/localFingerprint',
      /pattern/,
    ],
    [
      'unknown SRTP profile',
      (r) => ((r.data as { snapshot: Rec }).snapshot.srtpProfile = 'NULL_CIPHER'),
      '/data/snapshot/srtpProfile',
      /must be one of/,
    ],
    [
      'wrong schema version',
      (r) => (r.schema = 'rekey-rtc.telemetry/2'),
      '/schema',
      /must be "rekey-rtc.telemetry\/1"/,
    ],
    ['id too short', (r) => (r.id = 'short'), '/id', /fewer than 8/],
    ['data of another kind', (r) => (r.data = { count: 3 }), '/data/snapshot', /is required/],
    ['bad semver', (r) => ((r.sdk as Rec).version = 'latest'), '/sdk/version', /pattern/],
    [
      'IPv4 address in a snapshot violation message',
      (r) => {
        (r.data as { snapshot: Rec }).snapshot.violations = [
          {
            rule: 'dtls-version',
            action: 'report',
            message: 'peer 192.168.1.20 negotiated 1.0',
            expected: '>= 1.2',
            actual: '1.0',
            generation: 0,
          },
        ];
      },
      '/data/snapshot/violations/0/message',
      /IPv4/,
    ],
    [
      'IPv6 address in a string',
      (r) =>
        ((r.data as { snapshot: Rec }).snapshot.violations = [
          {
            rule: 'dtls-version',
            action: 'report',
            message: 'via [2001:db8::7]:3478',
            expected: 'x',
            actual: 'y',
            generation: 0,
          },
        ]),
      '/data/snapshot/violations/0/message',
      /IPv6/,
    ],
    [
      'ICE candidate in a string',
      (r) =>
        ((r.data as { snapshot: Rec }).snapshot.advisories = [
          {
            code: 'dtls-legacy-fallback',
            message: 'a=candidate:1 1 udp 2122260223 host',
            generation: 0,
          },
        ]),
      '/data/snapshot/advisories/0/message',
      /candidate/,
    ],
  ];

  it.each(badRecords)(
    'rejects a record with %s, stores the good ones',
    async (_name, breakIt, path, message) => {
      const sid = uid('s');
      const good1 = record('session-start', { sessionId: sid, seq: 0 });
      const bad = record('handshake', { sessionId: sid, seq: 1 });
      breakIt(bad);
      const good2 = record('session-end', { sessionId: sid, seq: 2 });
      const res = await post({ records: [good1, bad, good2] });
      expect(res.statusCode).toBe(400);
      const body = res.json();
      expect(body.accepted).toEqual([good1.id, good2.id]);
      expect(body.duplicates).toEqual([]);
      expect(body.rejected).toHaveLength(1);
      expect(body.rejected[0]).toMatchObject({ index: 1, path });
      expect(body.rejected[0].message).toMatch(message);
      expect(body.rejected[0].id).toBe(
        typeof bad.id === 'string' && /^[A-Za-z0-9_-]{8,64}$/.test(bad.id) ? bad.id : null,
      );
      expect(await timelineIds(sid)).toEqual([good1.id, good2.id]);
    },
  );

  it('never echoes the offending value back', async () => {
    const r = record('violation', {
      data: {
        rule: 'dtls-version',
        action: 'report',
        message: 'from 10.1.2.3',
        expected: 'x',
        actual: 'y',
        generation: 0,
      },
    });
    const res = await post({ records: [r] });
    expect(res.statusCode).toBe(400);
    expect(res.body).not.toContain('10.1.2.3');
  });

  const badEnvelopes: [string, () => unknown, string][] = [
    ['an array body', () => [record('dropped')], '/'],
    ['no records field', () => ({ events: [record('dropped')] }), '/records'],
    ['an empty batch', () => ({ records: [] }), '/records'],
    [
      'more than 500 records',
      () => ({ records: Array.from({ length: 501 }, () => record('dropped')) }),
      '/records',
    ],
    ['an extra top-level field', () => ({ records: [record('dropped')], sdp: 'v=0' }), '/sdp'],
    ['a non-object record', () => ({ records: [record('dropped'), 'hello'] }), '/records/1'],
  ];

  it.each(badEnvelopes)(
    'rejects %s as a whole (400, nothing stored)',
    async (_name, body, path) => {
      const payload = body() as { records?: Rec[] } | Rec[];
      const res = await post(payload);
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ error: 'malformed batch', details: [{ path }] });
      const first = Array.isArray(payload) ? payload[0] : (payload.records ?? [])[0];
      if (first) expect(await timelineIds(first.sessionId as string)).not.toContain(first.id);
    },
  );

  it('rejects invalid JSON and a non-JSON content type', async () => {
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...ingestAuth, 'content-type': 'application/json' },
      payload: '{"records": [',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatch(/not valid JSON/);
    const text = await app.inject({
      method: 'POST',
      url: '/v1/events',
      headers: { ...ingestAuth, 'content-type': 'text/plain' },
      payload: '{}',
    });
    expect(text.statusCode).toBe(415);
  });

  it('answers 413 to an oversize body and stores nothing', async () => {
    const sid = uid('s');
    const filler = 'x'.repeat(2500);
    const records = Array.from({ length: 500 }, (_, seq) =>
      record('violation', {
        sessionId: sid,
        seq,
        data: {
          rule: 'srtp-profile',
          action: 'report',
          message: filler,
          expected: 'a',
          actual: 'b',
          generation: 0,
        },
      }),
    );
    const res = await post({ records });
    expect(JSON.stringify({ records }).length).toBeGreaterThan(1024 * 1024);
    expect(res.statusCode).toBe(413);
    expect(await timelineIds(sid)).toEqual([]);
  });

  it.each([
    ['no key', {}],
    ['a wrong key', { authorization: 'Bearer not-a-key-at-all-000000' }],
    ['a read key', { authorization: `Bearer ${READ_KEY}` }],
    ['a malformed header', { authorization: 'Basic aW5nZXN0OmtleQ==' }],
  ])('answers 401 to ingest with %s and stores nothing', async (_name, headers) => {
    const r = record('session-start', { sessionId: uid('s') });
    const res = await post({ records: [r] }, headers as Record<string, string>);
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(await timelineIds(r.sessionId as string)).toEqual([]);
  });

  it('answers 401 to reads without a read key (the ingest key is not one)', async () => {
    for (const url of [
      '/v1/sessions',
      '/v1/sessions/abcdefgh',
      '/v1/export.csv',
      '/v1/export.json',
    ]) {
      expect((await get(url, {})).statusCode).toBe(401);
      expect((await get(url, ingestAuth)).statusCode).toBe(401);
    }
    expect((await get('/report', {})).statusCode).toBe(401);
    expect((await get('/report', {})).headers['content-type']).toMatch(/text\/html/);
    expect((await get('/healthz', {})).statusCode).toBe(200);
  });

  it('stores duplicates once, in one batch and across batches', async () => {
    const sid = uid('s');
    const a = record('handshake', { sessionId: sid, seq: 1 });
    const b = record('rekey', { sessionId: sid, seq: 2, generation: 1 });
    const first = await post({ records: [a, a] });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ accepted: [a.id], duplicates: [a.id], rejected: [] });
    const second = await post({ records: [a, b] });
    expect(second.json()).toEqual({ accepted: [b.id], duplicates: [a.id], rejected: [] });
    const third = await post({ records: [b, a] });
    expect(third.json()).toEqual({ accepted: [], duplicates: [b.id, a.id], rejected: [] });
    const { session: s } = (await get(`/v1/sessions/${sid}`)).json();
    expect(s).toMatchObject({ recordCount: 2, rekeyCount: 1, maxGeneration: 1 });
  });

  it('keeps HTML and SQL in strings inert: stored verbatim, escaped in the report', async () => {
    const sid = uid('s');
    const evil = `<script>alert("x")</script>'; DROP TABLE records; --`;
    const r = record('violation', {
      sessionId: sid,
      data: {
        rule: 'dtls-version',
        action: 'report',
        message: evil,
        expected: `"><img src=x onerror=alert(1)>`,
        actual: `' OR '1'='1`,
        generation: 0,
      },
    });
    expect((await post({ records: [r] })).statusCode).toBe(200);
    const { timeline } = (await get(`/v1/sessions/${sid}`)).json();
    expect(timeline[0].record.data.message).toBe(evil);
    const page = await get(`/report/sessions/${sid}?key=${READ_KEY}`, {});
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('<script>');
    expect(page.body).not.toContain('<img');
    expect(page.body).toContain(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;; DROP TABLE records; --',
    );
    const list = await get(`/report?key=${READ_KEY}`, {});
    expect(list.body).not.toContain('<script>');
    // The table survived the "injection".
    expect((await get('/v1/sessions?limit=1')).statusCode).toBe(200);
  });

  it('folds out-of-order delivery into the same summary as in-order delivery', async () => {
    const inOrder = session(uid('s'), 1_764_300_000_000, { rekeys: 3, violation: true });
    const shuffledSid = uid('s');
    const shuffled = inOrder.map((r) => ({
      ...r,
      id: `${r.id as string}x`.replace(r.sessionId as string, shuffledSid),
      sessionId: shuffledSid,
    }));
    expect((await post({ records: inOrder })).statusCode).toBe(200);
    expect(shuffled).toHaveLength(8);
    for (const i of [4, 7, 6, 0, 5, 2, 1, 3]) {
      const r = shuffled[i]!;
      expect((await post({ records: [r, shuffled[0]] })).statusCode).toBe(200);
    }
    const a = (await get(`/v1/sessions/${inOrder[0]!.sessionId as string}`)).json().session;
    const b = (await get(`/v1/sessions/${shuffledSid}`)).json().session;
    expect({ ...b, id: a.id }).toEqual(a);
    expect(a).toMatchObject({
      recordCount: 8,
      rekeyCount: 3,
      maxGeneration: 3,
      violationCount: 1,
      compliant: false,
      endedReason: 'local',
    });
  });

  describe('reads', () => {
    const t0 = 1_800_000_000_000;
    const ids = { good13: uid('s'), bad12: uid('s'), good12gcm: uid('s'), late: uid('s') };
    beforeAll(async () => {
      const withSnap = (sid: string, time: number, snap: Rec, extra: Rec[] = []) =>
        post({
          records: [
            record('handshake', { sessionId: sid, time, data: { snapshot: snap } }),
            ...extra,
          ],
        });
      await withSnap(ids.good13, t0, snapshot(0));
      await withSnap(
        ids.bad12,
        t0 + 1000,
        snapshot(0, {
          dtlsVersion: '1.2',
          dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
          compliant: false,
        }),
        [
          record('violation', {
            sessionId: ids.bad12,
            seq: 1,
            time: t0 + 1001,
            data: {
              rule: 'srtp-profile',
              action: 'report',
              message: '=HYPERLINK("http://x","y")',
              expected: '+a',
              actual: '-b',
              generation: 0,
            },
          }),
        ],
      );
      await withSnap(
        ids.good12gcm,
        t0 + 2000,
        snapshot(0, { dtlsVersion: '1.2', srtpProfile: 'AEAD_AES_128_GCM' }),
      );
      await withSnap(ids.late, t0 + 10_000_000, snapshot(0));
    });
    const window = `from=${t0}&to=${t0 + 5000}`;
    const listIds = async (query: string) =>
      (await get(`/v1/sessions?${query}`)).json().sessions.map((s: { id: string }) => s.id);

    it('filters by time range, compliance, DTLS version and SRTP profile', async () => {
      expect(await listIds(window)).toEqual([ids.good12gcm, ids.bad12, ids.good13]);
      expect(await listIds(`${window}&compliant=false`)).toEqual([ids.bad12]);
      expect(await listIds(`${window}&compliant=true`)).toEqual([ids.good12gcm, ids.good13]);
      expect(await listIds(`${window}&dtlsVersion=1.2`)).toEqual([ids.good12gcm, ids.bad12]);
      expect(await listIds(`${window}&srtpProfile=AEAD_AES_128_GCM`)).toEqual([ids.good12gcm]);
      expect(await listIds(`from=${new Date(t0 + 9_000_000).toISOString()}`)).toContain(ids.late);
    });

    it('pages with an opaque cursor', async () => {
      const p1 = (await get(`/v1/sessions?${window}&limit=2`)).json();
      expect(p1.sessions.map((s: { id: string }) => s.id)).toEqual([ids.good12gcm, ids.bad12]);
      expect(p1.nextCursor).toEqual(expect.any(String));
      const p2 = (await get(`/v1/sessions?${window}&limit=2&cursor=${p1.nextCursor}`)).json();
      expect(p2).toEqual({
        sessions: [expect.objectContaining({ id: ids.good13 })],
        nextCursor: null,
      });
    });

    it('answers 400 to bad filters', async () => {
      for (const q of [
        'compliant=maybe',
        'dtlsVersion=1.1',
        'srtpProfile=x',
        'limit=0',
        'limit=abc',
        'from=yesterday',
        'cursor=bogus',
      ]) {
        const res = await get(`/v1/sessions?${q}`);
        expect(res.statusCode, q).toBe(400);
        expect(res.json().details[0].path).toMatch(/^\/query\//);
      }
    });

    it('exports CSV with formula cells neutralised', async () => {
      const res = await get(`/v1/export.csv?${window}`);
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const lines = res.body.trimEnd().split('\r\n');
      expect(lines[0]).toMatch(/^session_id,first_time,last_time,roles,browsers,/);
      expect(lines).toHaveLength(4);
      expect(lines[1]).toContain(ids.good12gcm);
      expect(lines.find((l) => l.startsWith(ids.bad12))).toMatch(
        /,1\.2,AES_CM_128_HMAC_SHA1_80,TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,false,1,1,0,/,
      );

      const recs = await get(
        `/v1/export.csv?${window}&compliant=false&rows=records&key=${READ_KEY}`,
        {},
      );
      expect(recs.statusCode).toBe(200);
      const rows = recs.body.trimEnd().split('\r\n');
      expect(rows).toHaveLength(3);
      const violationRow = rows.find((l) => l.includes(',violation,'))!;
      expect(violationRow).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
      expect(violationRow).not.toMatch(/,=HYPERLINK/);
    });

    it('exports JSON with each session and its records', async () => {
      const res = await get(`/v1/export.json?${window}&compliant=false`);
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.schema).toBe('rekey-rtc.telemetry/1');
      expect(body.sessions).toHaveLength(1);
      expect(body.sessions[0]).toMatchObject({
        id: ids.bad12,
        compliant: false,
        violationCount: 1,
      });
      expect(body.sessions[0].records.map((r: Rec) => r.kind)).toEqual(['handshake', 'violation']);
    });

    it('serves the HTML report: non-compliant first, strict CSP, key carried on links', async () => {
      const res = await get(`/report?${window}&key=${READ_KEY}`, {});
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['content-security-policy']).toMatch(
        /default-src 'none'; style-src 'sha256-/,
      );
      expect(res.headers['content-security-policy']).not.toMatch(/unsafe/);
      // The one inline stylesheet is exactly the one the CSP hash allows.
      const css = /<style>([\s\S]*?)<\/style>/.exec(res.body)![1]!;
      const hash = createHash('sha256').update(css).digest('base64');
      expect(res.headers['content-security-policy']).toContain(`style-src 'sha256-${hash}'`);
      const pos = (id: string) => res.body.indexOf(id);
      expect(pos(ids.bad12)).toBeGreaterThan(0);
      expect(pos(ids.bad12)).toBeLessThan(pos(ids.good12gcm));
      expect(pos(ids.good12gcm)).toBeLessThan(pos(ids.good13));
      expect(res.body).toContain(`/report/sessions/${ids.bad12}?key=${READ_KEY}`);
      expect(res.body).not.toMatch(/<script/i);
      // Bearer works too, and then no key is written into the page.
      const bearer = await get(`/report?${window}`);
      expect(bearer.statusCode).toBe(200);
      expect(bearer.body).not.toContain(READ_KEY);
    });

    it('pages the report in its own order (non-compliant first)', async () => {
      const seen: string[] = [];
      let url: string | null = `/report?${window}&limit=1&key=${READ_KEY}`;
      while (url) {
        const res = await get(url, {});
        expect(res.statusCode).toBe(200);
        seen.push(/\/report\/sessions\/([A-Za-z0-9_-]+)\?/.exec(res.body)![1]!);
        const next = /href="(\/report\?[^"]*cursor=[^"]*)"/.exec(res.body);
        url = next ? next[1]!.replace(/&amp;/g, '&') : null;
      }
      expect(seen).toEqual([ids.bad12, ids.good12gcm, ids.good13]);
    });

    it('shows a per-session timeline with fingerprints', async () => {
      const sid = uid('s');
      await post({ records: session(sid, t0 + 3000, { rekeys: 2 }) });
      const res = await get(`/report/sessions/${sid}`);
      expect(res.statusCode).toBe(200);
      expect(res.body).toContain('Timeline: 6 records');
      expect(res.body.match(/>rekey</g)).toHaveLength(2);
      expect(res.body).toMatch(/([0-9A-F]{2}:){31}[0-9A-F]{2}/);
      expect((await get(`/report/sessions/nosuchsession`)).statusCode).toBe(404);
    });
  });

  it('allows CORS preflight from allowed origins only, with Authorization and Content-Type', async () => {
    const preflight = (origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/v1/events',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
    const ok = await preflight('https://app.example.test');
    expect(ok.statusCode).toBe(204);
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example.test');
    expect(String(ok.headers['access-control-allow-headers']).toLowerCase()).toBe(
      'authorization, content-type',
    );
    expect(String(ok.headers['access-control-allow-methods'])).toContain('POST');
    const evil = await preflight('https://evil.example.test');
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('rate-limits per key with 429 and Retry-After', async () => {
    const limited = collector(backend.store(), { rateLimitPerMin: 3 });
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) {
        statuses.push(
          await limited.inject({
            method: 'POST',
            url: '/v1/events',
            headers: ingestAuth,
            payload: { records: [record('dropped')] },
          }),
        );
      }
      expect(statuses.map((r) => r.statusCode)).toEqual([200, 200, 200, 429]);
      expect(Number(statuses[3]!.headers['retry-after'])).toBeGreaterThan(0);
      expect(statuses[3]!.json().error).toBe('rate limited');
      // Another key has its own budget.
      expect(
        (await limited.inject({ method: 'GET', url: '/v1/sessions', headers: readAuth }))
          .statusCode,
      ).toBe(200);
      // Made-up keys do not get buckets of their own: they share the caller's IP budget.
      const bogus = [];
      for (let i = 0; i < 4; i++) {
        bogus.push(
          (
            await limited.inject({
              method: 'GET',
              url: '/v1/sessions',
              headers: { authorization: `Bearer made-up-key-number-${i}` },
            })
          ).statusCode,
        );
      }
      expect(bogus).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });

  it('works over a real socket with fetch', async () => {
    const live = collector(backend.store());
    await live.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = live.server.address() as { port: number };
      const sid = uid('s');
      const records = session(sid, Date.now());
      const res = await fetch(`http://127.0.0.1:${port}/v1/events`, {
        method: 'POST',
        headers: {
          ...ingestAuth,
          'content-type': 'application/json',
          origin: 'https://app.example.test',
        },
        body: JSON.stringify({ records }),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example.test');
      expect(((await res.json()) as { accepted: string[] }).accepted).toHaveLength(records.length);
      const read = await fetch(`http://127.0.0.1:${port}/v1/sessions/${sid}`, {
        headers: readAuth,
      });
      expect(read.status).toBe(200);
      expect(((await read.json()) as { timeline: unknown[] }).timeline).toHaveLength(
        records.length,
      );
    } finally {
      await live.close();
    }
  });
});
