import { describe, expect, it } from 'vitest';
import { makeMessage, MalformedMessage, parseMessage } from '../../src/signaling/messages';

const CALL = 'call-0123456789';
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n';

describe('signaling messages', () => {
  it('round-trips every kind through JSON', () => {
    const messages = [
      makeMessage('hello', CALL, 0, { engine: 'firefox' }),
      makeMessage('hello-ack', CALL, 0, { engine: 'chrome' }),
      makeMessage('rekey-request', CALL, 4, { reason: 'bytes' }),
      makeMessage('offer', CALL, 4, { attempt: 'attempt-1', sdp: SDP }),
      makeMessage('answer', CALL, 4, { attempt: 'attempt-1', sdp: SDP }),
      makeMessage('switched', CALL, 4, { attempt: 'attempt-1' }),
      makeMessage('abort', CALL, 4, { attempt: 'attempt-1' }),
      makeMessage('bye', CALL, 4, { reason: 'policy:dtls-version' }),
    ];
    for (const message of messages) {
      expect(parseMessage(JSON.parse(JSON.stringify(message)))).toEqual(message);
      expect(parseMessage(JSON.stringify(message))).toEqual(message);
    }
  });

  it('ignores messages of other protocols on the same channel', () => {
    expect(parseMessage({ type: 'chat', text: 'hi' })).toBeNull();
    expect(parseMessage('{"protocol":"other"}')).toBeNull();
  });

  const base = { protocol: 'rekey-rtc', v: 1, callId: CALL, generation: 1 };
  it.each([
    ['not JSON', '{nope', 'not JSON'],
    ['an array', [], 'must be an object'],
    ['null', null, 'must be an object'],
    ['a number', 7, 'must be an object'],
    ['a future version', { ...base, v: 2, kind: 'bye', reason: 'local' }, "'v'"],
    ['a short call id', { ...base, callId: 'x', kind: 'bye', reason: 'local' }, "'callId'"],
    [
      'a call id with markup',
      { ...base, callId: '<script>alert(1)</script>', kind: 'bye', reason: 'local' },
      "'callId'",
    ],
    [
      'a negative generation',
      { ...base, generation: -1, kind: 'bye', reason: 'local' },
      "'generation'",
    ],
    [
      'a fractional generation',
      { ...base, generation: 1.5, kind: 'bye', reason: 'local' },
      "'generation'",
    ],
    ['an unknown kind', { ...base, kind: 'renegotiate' }, 'unknown message kind'],
    ['an offer without sdp', { ...base, kind: 'offer', attempt: 'attempt-1' }, "'sdp'"],
    [
      'an offer whose sdp is not SDP',
      { ...base, kind: 'offer', attempt: 'attempt-1', sdp: 'hello' },
      "'sdp'",
    ],
    [
      'a huge SDP',
      { ...base, kind: 'answer', attempt: 'attempt-1', sdp: 'v=0' + 'a'.repeat(70_000) },
      "'sdp'",
    ],
    [
      'a request with an unknown reason',
      { ...base, kind: 'rekey-request', reason: 'boredom' },
      "'reason'",
    ],
    ['a hello without engine', { ...base, kind: 'hello' }, "'engine'"],
    ['a switched without attempt', { ...base, kind: 'switched' }, "'attempt'"],
  ])('rejects %s', (_label, input, message) => {
    expect(() => parseMessage(input)).toThrow(MalformedMessage);
    expect(() => parseMessage(input)).toThrow(message);
  });

  it('rejects oversized strings before parsing them', () => {
    expect(() => parseMessage('x'.repeat(200_000))).toThrow('too large');
  });
});
