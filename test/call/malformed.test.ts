import { describe, expect, it } from 'vitest';
import type { RekeyRtcError } from '../../src/errors.js';
import { connect, createPair, run, type Pair } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

async function connected(): Promise<Pair & { callId: string }> {
  const pair = createPair({ both: { rekey: false } });
  await connect(pair);
  return Object.assign(pair, { callId: pair.a.callId! });
}

const envelope = (callId: string) => ({ protocol: 'rekey-rtc', v: 1, callId, generation: 0 });

describe('malformed signaling messages', () => {
  const cases: Array<[string, (callId: string) => unknown, string]> = [
    ['a non-JSON string', () => '{"protocol":"rekey-rtc",', 'malformed-message'],
    ['a JSON string of an array', () => '[1,2,3]', 'malformed-message'],
    ['an array', () => [envelope('x')], 'malformed-message'],
    ['null', () => null, 'malformed-message'],
    ['a number', () => 42, 'malformed-message'],
    ['undefined', () => undefined, 'malformed-message'],
    ['a missing kind', (id) => envelope(id), 'malformed-message'],
    ['an unknown kind', (id) => ({ ...envelope(id), kind: 'renegotiate' }), 'malformed-message'],
    [
      'a wrong version',
      (id) => ({ ...envelope(id), v: 2, kind: 'bye', reason: 'local' }),
      'malformed-message',
    ],
    [
      'a missing callId',
      (id) => ({ ...envelope(id), callId: undefined, kind: 'bye', reason: 'local' }),
      'malformed-message',
    ],
    [
      'a callId with odd characters',
      () => ({ ...envelope('<script>alert(1)'), kind: 'bye', reason: 'local' }),
      'malformed-message',
    ],
    [
      'a negative generation',
      (id) => ({ ...envelope(id), generation: -1, kind: 'bye', reason: 'local' }),
      'malformed-message',
    ],
    [
      'a string generation',
      (id) => ({ ...envelope(id), generation: '1', kind: 'abort', attempt: 'id-a-0001' }),
      'malformed-message',
    ],
    [
      'a fractional generation',
      (id) => ({ ...envelope(id), generation: 1.5, kind: 'abort', attempt: 'id-a-0001' }),
      'malformed-message',
    ],
    [
      'an offer without sdp',
      (id) => ({ ...envelope(id), generation: 1, kind: 'offer', attempt: 'id-a-9999' }),
      'malformed-message',
    ],
    [
      'an offer whose sdp is a number',
      (id) => ({ ...envelope(id), generation: 1, kind: 'offer', attempt: 'id-a-9999', sdp: 7 }),
      'malformed-message',
    ],
    [
      'an offer whose sdp is not SDP',
      (id) => ({
        ...envelope(id),
        generation: 1,
        kind: 'offer',
        attempt: 'id-a-9999',
        sdp: 'hello',
      }),
      'malformed-message',
    ],
    [
      'a huge SDP',
      (id) => ({
        ...envelope(id),
        generation: 1,
        kind: 'offer',
        attempt: 'id-a-9999',
        sdp: 'v=0\r\n' + 'a=x\r\n'.repeat(20_000),
      }),
      'malformed-message',
    ],
    [
      'a huge JSON string',
      (id) => JSON.stringify({ ...envelope(id), kind: 'bye', reason: 'x'.repeat(200_000) }),
      'malformed-message',
    ],
    [
      'an answer with a short attempt id',
      (id) => ({ ...envelope(id), kind: 'answer', attempt: 'x', sdp: 'v=0\r\n' }),
      'malformed-message',
    ],
    ['a hello without engine', (id) => ({ ...envelope(id), kind: 'hello' }), 'malformed-message'],
    [
      'a hello-ack with an object engine',
      (id) => ({ ...envelope(id), kind: 'hello-ack', engine: {} }),
      'malformed-message',
    ],
    [
      'a rekey-request with an unknown reason',
      (id) => ({ ...envelope(id), generation: 1, kind: 'rekey-request', reason: 'because' }),
      'malformed-message',
    ],
    ['a bye without reason', (id) => ({ ...envelope(id), kind: 'bye' }), 'malformed-message'],
    [
      'a bye with an empty reason',
      (id) => ({ ...envelope(id), kind: 'bye', reason: '' }),
      'malformed-message',
    ],
    [
      'a switched without attempt',
      (id) => ({ ...envelope(id), kind: 'switched' }),
      'malformed-message',
    ],
    [
      'a bye for a foreign call',
      () => ({ ...envelope('another-call-0001'), kind: 'bye', reason: 'local' }),
      'unknown-call',
    ],
    [
      'a rekey-request for a foreign call',
      () => ({
        ...envelope('another-call-0001'),
        generation: 1,
        kind: 'rekey-request',
        reason: 'manual',
      }),
      'unknown-call',
    ],
    [
      'a hello for a foreign call',
      () => ({ ...envelope('another-call-0001'), kind: 'hello', engine: 'chrome' }),
      'unknown-call',
    ],
  ];

  it.each(cases)(
    '%s gives an error event, does not throw and does not break the call',
    async (_name, build, code) => {
      const pair = await connected();
      for (const side of ['a', 'b'] as const) {
        const call = pair[side];
        const before = pair.of(side, 'error').length;
        expect(() => call.receive(build(pair.callId))).not.toThrow();
        await run(50);
        const errors = pair.of(side, 'error').slice(before) as RekeyRtcError[];
        // A foreign hello reaches the caller as "both sides are callers"; the callee says unknown call.
        const expected =
          code === 'unknown-call' && side === 'a' && _name.includes('hello')
            ? 'invalid-state'
            : code;
        expect(
          errors.map((e) => e.code),
          side,
        ).toEqual([expected]);
        expect(errors[0]?.name).toBe('RekeyRtcError');
        expect(call.state).toBe('connected');
      }
      // The call still works: a re-key goes through on both sides.
      const report = pair.a.rekey();
      await run(5_000);
      await expect(report).resolves.toMatchObject({ generation: 1 });
      expect(pair.of('a', 'close')).toHaveLength(0);
      expect(pair.of('b', 'close')).toHaveLength(0);
    },
  );

  it.each([
    ['an object of another protocol', { type: 'chat', text: 'hi' }],
    [
      'a look-alike without protocol',
      { kind: 'bye', callId: 'whatever-1', generation: 0, reason: 'local', v: 1 },
    ],
    ['another protocol name', { protocol: 'rekey-rtc-2', kind: 'bye' }],
    ['a JSON string of another protocol', '{"type":"presence","online":true}'],
    ['an empty object', {}],
  ])('%s is ignored silently', async (_name, message) => {
    const pair = await connected();
    for (const side of ['a', 'b'] as const) {
      expect(() => pair[side].receive(message)).not.toThrow();
    }
    await run(50);
    expect(pair.of('a', 'error')).toEqual([]);
    expect(pair.of('b', 'error')).toEqual([]);
    expect(pair.a.state).toBe('connected');
  });

  it('accepts the messages as JSON text as well as objects', async () => {
    const pair = createPair({ both: { rekey: false } });
    pair.signaling.asText = true;
    await connect(pair);
    expect(pair.a.state).toBe('connected');
    expect(pair.of('a', 'error')).toEqual([]);
  });

  it('reports malformed messages received before start() and still connects', async () => {
    const pair = createPair({ both: { rekey: false } });
    expect(() => pair.b.receive('not json')).not.toThrow();
    expect(pair.of('b', 'error')).toHaveLength(1);
    await connect(pair);
    expect(pair.b.state).toBe('connected');
  });

  it('a flood of messages before start() is bounded and does not break the start', async () => {
    const pair = createPair({ both: { rekey: false } });
    const junk = {
      protocol: 'rekey-rtc',
      v: 1,
      callId: 'another-call-0001',
      generation: 0,
      kind: 'bye',
      reason: 'local',
    };
    for (let i = 0; i < 10_000; i++) pair.b.receive(junk);
    await connect(pair);
    expect(pair.b.state).toBe('connected');
    expect(pair.of('b', 'error').length).toBeLessThanOrEqual(64);
  });

  it('a send() that throws gives a signaling-send-failed error, not an exception', async () => {
    const pair = createPair({ both: { rekey: false } });
    let fail = true;
    pair.signaling.throwOnSend = (_m, from) => {
      const now = fail && from === 'a';
      if (now) fail = false;
      return now;
    };
    await connect(pair);
    expect((pair.of('a', 'error') as RekeyRtcError[]).map((e) => e.code)).toEqual([
      'signaling-send-failed',
    ]);
    expect(pair.a.state).toBe('connected');
  });
});
