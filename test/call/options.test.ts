import { describe, expect, it } from 'vitest';
import { SecureCall } from '../../src/SecureCall.js';
import { audioStream } from '../fakes/FakeMediaStream.js';
import { fakePlatform } from '../fakes/harness.js';

function make(extra: Record<string, unknown>): SecureCall {
  return new SecureCall({
    role: 'caller',
    send: () => undefined,
    platform: fakePlatform(),
    ...extra,
  } as never);
}

/** Asserts a TypeError whose message names `name`. */
function rejects(extra: Record<string, unknown>, name: string): void {
  let thrown: unknown;
  try {
    make(extra);
  } catch (error) {
    thrown = error;
  }
  expect(thrown, JSON.stringify(extra)).toBeInstanceOf(TypeError);
  expect((thrown as Error).message).toContain(name);
}

describe('SecureCall option validation', () => {
  it('accepts a minimal and a full valid set', () => {
    expect(make({}).state).toBe('new');
    const call = make({
      role: 'callee',
      localStream: audioStream(),
      rtcConfiguration: { iceServers: [] },
      statsIntervalMs: 100,
      connectTimeoutMs: 1_000,
      iceGatheringTimeoutMs: 100,
      audioOutput: 'speaker',
      rekey: {
        intervalMs: 1_000,
        maxBytes: 1024,
        timeoutMs: 1_000,
        maxOverlapMs: 0,
        switchMs: 0,
        retryBaseMs: 100,
        retryMaxMs: 100,
      },
      policy: { minDtlsVersion: '1.3', actions: { 'srtp-profile': 'close' } },
    });
    expect(call.role).toBe('callee');
    expect(call.rekeyOptions.intervalMs).toBe(1_000);
    expect(call.policy.minDtlsVersion).toBe('1.3');
    expect(make({ rekey: false }).rekeyOptions.scheduled).toBe(false);
  });

  it('rejects a missing options object', () => {
    expect(() => new SecureCall(undefined as never)).toThrow(TypeError);
    expect(() => new SecureCall(null as never)).toThrow(TypeError);
  });

  it.each([
    [{ role: 'host' }, 'role'],
    [{ role: undefined }, 'role'],
    [{ role: 'CALLER' }, 'role'],
    [{ send: 'ws' }, 'send'],
    [{ send: undefined }, 'send'],
    [{ localStream: null }, 'localStream'],
    [{ localStream: {} }, 'localStream'],
    [{ rtcConfiguration: 'stun:x' }, 'rtcConfiguration'],
    [{ statsIntervalMs: 99 }, 'statsIntervalMs'],
    [{ statsIntervalMs: '1000' }, 'statsIntervalMs'],
    [{ statsIntervalMs: Number.NaN }, 'statsIntervalMs'],
    [{ statsIntervalMs: Infinity }, 'statsIntervalMs'],
    [{ connectTimeoutMs: -1 }, 'connectTimeoutMs'],
    [{ iceGatheringTimeoutMs: 0 }, 'iceGatheringTimeoutMs'],
    [{ audioOutput: 'element' }, 'audioOutput'],
    [{ audioOutput: null }, 'audioOutput'],
    [{ rekey: null }, 'rekey'],
    [{ rekey: 3_600_000 }, 'rekey'],
    [{ rekey: [] }, 'rekey'],
    [{ rekey: { intervalMs: 999 } }, 'rekey.intervalMs'],
    [{ rekey: { intervalMs: '1h' } }, 'rekey.intervalMs'],
    [{ rekey: { maxBytes: 1023 } }, 'rekey.maxBytes'],
    [{ rekey: { timeoutMs: 10 } }, 'rekey.timeoutMs'],
    [{ rekey: { maxOverlapMs: -1 } }, 'rekey.maxOverlapMs'],
    [{ rekey: { switchMs: Number.NaN } }, 'rekey.switchMs'],
    [{ rekey: { retryBaseMs: 50 } }, 'rekey.retryBaseMs'],
    [{ rekey: { retryBaseMs: 5_000, retryMaxMs: 1_000 } }, 'rekey.retryMaxMs'],
    [{ rekey: { interval: 1_000 } }, 'rekey.interval'],
    [{ policy: 'strict' }, 'policy'],
    [{ policy: null }, 'policy'],
    [{ policy: { minDtlsVersion: '1.1' } }, 'policy.minDtlsVersion'],
    [{ policy: { preferredDtlsVersion: 'latest' } }, 'policy.preferredDtlsVersion'],
    [
      { policy: { minDtlsVersion: '1.3', preferredDtlsVersion: '1.2' } },
      'policy.preferredDtlsVersion',
    ],
    [{ policy: { requireForwardSecrecy: 'yes' } }, 'policy.requireForwardSecrecy'],
    [{ policy: { minSrtpProfile: 'AES_256' } }, 'policy.minSrtpProfile'],
    [{ policy: { actions: [] } }, 'policy.actions'],
    [{ policy: { actions: { 'dtls-version': 'explode' } } }, 'policy.actions.dtls-version'],
    [{ policy: { actions: { 'made-up-rule': 'close' } } }, 'policy.actions.made-up-rule'],
    [{ policy: { maxDtlsVersion: '1.3' } }, 'policy.maxDtlsVersion'],
    [{ rekeyInterval: 5 }, 'rekeyInterval'],
    [{ onClose: () => undefined }, 'onClose'],
  ])('rejects %j with a TypeError naming %s', (extra, name) => {
    rejects(extra, name);
  });

  it('does nothing observable when construction fails', () => {
    const sent: unknown[] = [];
    expect(
      () => new SecureCall({ role: 'caller', send: (m) => sent.push(m), statsIntervalMs: 1 }),
    ).toThrow(TypeError);
    expect(sent).toHaveLength(0);
  });
});
