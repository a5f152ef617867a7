// The demo's signaling relay, driven by real `ws` clients over a real HTTP server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerFrame } from '../../server/signaling/frames.js';
import { SignalingRelay } from '../../server/signaling/SignalingRelay.js';

interface Client {
  socket: WebSocket;
  /** Next frame from the relay (waits up to 2 s). */
  next(): Promise<ServerFrame>;
  /** Resolves with the close code once the relay closes the socket. */
  closed: Promise<number>;
  send(value: unknown): void;
}

let server: Server;
let relay: SignalingRelay;
let url: string;
let lines: string[];
const clients: WebSocket[] = [];

beforeEach(async () => {
  lines = [];
  relay = new SignalingRelay({ maxFrameBytes: 1024, heartbeatMs: 200, log: (l) => lines.push(l) });
  server = createServer((_req, res) => res.writeHead(404).end());
  relay.attach(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/signal`;
});

afterEach(async () => {
  for (const socket of clients.splice(0)) socket.terminate();
  await relay.close();
  await new Promise<void>((done) => server.close(() => done()));
});

async function connect(): Promise<Client> {
  const socket = new WebSocket(url);
  clients.push(socket);
  const inbox: ServerFrame[] = [];
  const waiting: ((frame: ServerFrame) => void)[] = [];
  socket.on('message', (data) => {
    const frame = JSON.parse(String(data)) as ServerFrame;
    const waiter = waiting.shift();
    if (waiter) waiter(frame);
    else inbox.push(frame);
  });
  const closed = new Promise<number>((done) => socket.on('close', (code) => done(code)));
  await new Promise<void>((done, fail) => {
    socket.once('open', () => done());
    socket.once('error', fail);
  });
  return {
    socket,
    closed,
    send: (value) => socket.send(typeof value === 'string' ? value : JSON.stringify(value)),
    next: () => {
      const queued = inbox.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise<ServerFrame>((done, fail) => {
        const timer = setTimeout(() => fail(new Error('no frame within 2 s')), 2000);
        waiting.push((frame) => {
          clearTimeout(timer);
          done(frame);
        });
      });
    },
  };
}

async function joined(room: string, role: 'caller' | 'callee'): Promise<Client> {
  const client = await connect();
  client.send({ type: 'join', room, role });
  expect(await client.next()).toMatchObject({ type: 'joined', room, role });
  return client;
}

describe('SignalingRelay', () => {
  it('pairs a caller and a callee and tells each about the other', async () => {
    const room = relay.createRoom();
    const caller = await connect();
    caller.send({ type: 'join', room, role: 'caller' });
    expect(await caller.next()).toEqual({
      type: 'joined',
      room,
      role: 'caller',
      peerPresent: false,
    });
    const callee = await connect();
    callee.send({ type: 'join', room, role: 'callee' });
    expect(await callee.next()).toEqual({
      type: 'joined',
      room,
      role: 'callee',
      peerPresent: true,
    });
    expect(await caller.next()).toEqual({ type: 'peer-joined', role: 'callee' });
  });

  it('relays signal payloads unchanged, both ways, in order', async () => {
    const room = relay.createRoom();
    const caller = await joined(room, 'caller');
    const callee = await joined(room, 'callee');
    await caller.next(); // peer-joined
    const payloads = [
      { protocol: 'rekey-rtc', kind: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n', n: 1 },
      { nested: { list: [1, 'two', null, true] }, unicode: 'é✓' },
      [1, 2, 3],
    ];
    for (const payload of payloads) caller.send({ type: 'signal', payload });
    for (const payload of payloads)
      expect(await callee.next()).toEqual({ type: 'signal', payload });
    callee.send({ type: 'signal', payload: { answer: true } });
    expect(await caller.next()).toEqual({ type: 'signal', payload: { answer: true } });
  });

  it('never logs message contents', async () => {
    const room = relay.createRoom();
    const caller = await joined(room, 'caller');
    const callee = await joined(room, 'callee');
    caller.send({ type: 'signal', payload: { sdp: 'SECRET-SDP-a=fingerprint' } });
    await callee.next();
    caller.send('{"type":"signal","payload":"SECRET-STRING"}');
    await caller.next(); // peer-joined
    expect(await caller.next()).toMatchObject({ type: 'error', code: 'bad-frame' });
    expect(lines.join('\n')).not.toContain('SECRET');
  });

  it('refuses a second peer of the same role and a third peer', async () => {
    const room = relay.createRoom();
    await joined(room, 'caller');
    const twin = await connect();
    twin.send({ type: 'join', room, role: 'caller' });
    expect(await twin.next()).toMatchObject({ type: 'error', code: 'role-taken', fatal: true });
    expect(await twin.closed).toBe(1008);

    await joined(room, 'callee');
    const third = await connect();
    third.send({ type: 'join', room, role: 'callee' });
    expect(await third.next()).toMatchObject({ type: 'error', code: 'room-full', fatal: true });
    expect(await third.closed).toBe(1008);
  });

  it('refuses an unknown room unless the peer resumes after a relay restart', async () => {
    const stranger = await connect();
    stranger.send({ type: 'join', room: 'nosuchroom', role: 'caller' });
    expect(await stranger.next()).toMatchObject({ type: 'error', code: 'unknown-room' });
    expect(await stranger.closed).toBe(1008);
    expect(relay.hasRoom('nosuchroom')).toBe(false);

    const resumed = await connect();
    resumed.send({ type: 'join', room: 'oldroom1', role: 'callee', resume: true });
    expect(await resumed.next()).toEqual({
      type: 'joined',
      room: 'oldroom1',
      role: 'callee',
      peerPresent: false,
    });
  });

  it('answers malformed frames with an error and keeps the connection', async () => {
    const room = relay.createRoom();
    const caller = await joined(room, 'caller');
    const callee = await joined(room, 'callee');
    await caller.next(); // peer-joined
    const malformed: (string | Buffer)[] = [
      'not json',
      '',
      '{',
      'null',
      '42',
      '"join"',
      '[]',
      '{}',
      '{"type":"dance"}',
      '{"type":"join"}',
      '{"type":"join","room":"../../etc","role":"caller"}',
      '{"type":"join","room":"abcdefgh","role":"admin"}',
      '{"type":"join","room":"abcdefgh","role":"caller","resume":"yes"}',
      '{"type":"join","room":"abcdefgh","role":"caller","extra":1}',
      '{"type":"signal"}',
      '{"type":"signal","payload":"text"}',
      '{"type":"signal","payload":null}',
      '{"type":"signal","payload":{},"to":"everyone"}',
      '{"__proto__":{"polluted":true},"type":"signal"}',
      Buffer.from([0xde, 0xad, 0xbe, 0xef]),
    ];
    for (const frame of malformed) {
      if (Buffer.isBuffer(frame)) caller.socket.send(frame, { binary: true });
      else caller.send(frame);
      expect(await caller.next()).toMatchObject({ type: 'error', code: 'bad-frame', fatal: false });
    }
    // A second join on a joined socket is refused without losing the seat.
    caller.send({ type: 'join', room, role: 'callee' });
    expect(await caller.next()).toMatchObject({ type: 'error', code: 'already-joined' });
    // Still relaying.
    caller.send({ type: 'signal', payload: { still: 'here' } });
    expect(await callee.next()).toEqual({ type: 'signal', payload: { still: 'here' } });
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('closes a socket that keeps sending garbage', async () => {
    const noisy = await connect();
    for (let i = 0; i < 25; i++) noisy.send('garbage');
    expect(await noisy.closed).toBe(1008);
  });

  it('refuses signals before a join', async () => {
    const client = await connect();
    client.send({ type: 'signal', payload: { x: 1 } });
    expect(await client.next()).toMatchObject({ type: 'error', code: 'not-joined', fatal: false });
  });

  it('answers an oversized frame with an error, and cuts a huge one, and keeps serving', async () => {
    const room = relay.createRoom();
    const caller = await joined(room, 'caller');
    caller.send({ type: 'signal', payload: { sdp: 'x'.repeat(2000) } });
    expect(await caller.next()).toMatchObject({ type: 'error', code: 'too-large', fatal: false });

    // Above the transport limit ws closes the socket itself (1009 Message Too Big).
    caller.send({ type: 'signal', payload: { sdp: 'x'.repeat(10_000) } });
    expect(await caller.closed).toBe(1009);

    // The seat is free again and the relay still works.
    const again = await joined(room, 'caller');
    expect(again.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('tells the remaining peer when the other leaves, and frees the seat', async () => {
    const room = relay.createRoom();
    const caller = await joined(room, 'caller');
    const callee = await joined(room, 'callee');
    await caller.next(); // peer-joined
    callee.socket.close();
    expect(await caller.next()).toEqual({ type: 'peer-left', role: 'callee' });
    const back = await connect();
    back.send({ type: 'join', room, role: 'callee' });
    expect(await back.next()).toMatchObject({ type: 'joined', peerPresent: true });
    expect(await caller.next()).toEqual({ type: 'peer-joined', role: 'callee' });
  });

  it('drops a peer that stops answering heartbeats', async () => {
    const room = relay.createRoom();
    const caller = await joined(room, 'caller');
    const callee = await joined(room, 'callee');
    await caller.next(); // peer-joined
    // Make the callee look dead: stop its automatic pong replies.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (callee.socket as any)._receiver.removeAllListeners('ping');
    callee.socket.pong = () => undefined;
    expect(await caller.next()).toEqual({ type: 'peer-left', role: 'callee' });
    expect(lines.some((l) => l.includes('heartbeat'))).toBe(true);
  });

  it('rejects upgrades on other paths', async () => {
    const socket = new WebSocket(url.replace('/signal', '/other'));
    const error = await new Promise<Error>((done) => socket.once('error', done));
    expect(error.message).toMatch(/404/);
  });
});
