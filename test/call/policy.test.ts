import { describe, expect, it, vi } from 'vitest';
import type { CloseInfo, SecuritySnapshot, Violation } from '../../src/types.js';
import { connect, createPair, run, type Pair } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

/** Starts both sides without waiting for `connected`: the policy may end the call at once. */
async function startBoth(pair: Pair, ms = 1_000): Promise<void> {
  void pair.a.start().catch(() => undefined);
  void pair.b.start().catch(() => undefined);
  await run(ms);
}

describe('policy on a live call', () => {
  it('DTLS 1.0 (FEFF): violation, then close with reason policy:dtls-version', async () => {
    const pair = createPair({ engines: ['firefox', 'firefox'], both: { rekey: false } });
    pair.network.security = () => ({
      tlsVersion: 'FEFF',
      dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    });
    await startBoth(pair);
    for (const side of ['a', 'b'] as const) {
      const order = pair.events[side]
        .map((e) => e.event)
        .filter((e) => e === 'violation' || e === 'close');
      expect(order[0]).toBe('violation');
      expect(order.at(-1)).toBe('close');
      expect(pair.of(side, 'close')).toHaveLength(1);
      expect(pair[side].state).toBe('closed');
      expect(pair.network.open(side)).toHaveLength(0);
    }
    const [violation] = pair.of('a', 'violation') as Violation[];
    expect(violation).toMatchObject({
      rule: 'dtls-version',
      action: 'close',
      actual: '1.0',
      expected: '>= 1.2',
      generation: 0,
    });
    const [close] = pair.of('a', 'close') as CloseInfo[];
    expect(close).toMatchObject({
      reason: 'policy:dtls-version',
      violation: { rule: 'dtls-version' },
      generation: 0,
    });
    // The other side closed for the same rule (its own monitor) or because of our bye.
    expect(['policy:dtls-version', 'remote']).toContain(
      (pair.of('b', 'close')[0] as CloseInfo).reason,
    );
    expect(pair.a.security?.compliant).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('only one side applying the policy: it closes for the rule, the other side gets remote', async () => {
    const pair = createPair({
      engines: ['firefox', 'firefox'],
      b: { policy: { actions: { 'dtls-version': 'report' } } },
      both: { rekey: false },
    });
    pair.network.security = () => ({
      tlsVersion: 'FEFF',
      dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    });
    await startBoth(pair);
    expect(pair.of('a', 'close')).toMatchObject([{ reason: 'policy:dtls-version' }]);
    expect(pair.of('b', 'close')).toMatchObject([{ reason: 'remote' }]);
    expect(pair.of('b', 'violation')).toMatchObject([{ rule: 'dtls-version', action: 'report' }]);
  });

  it('DTLS 1.2 with a non-ECDHE suite: forward-secrecy violation closes the call', async () => {
    const pair = createPair({ engines: ['firefox', 'firefox'], both: { rekey: false } });
    pair.network.security = () => ({
      tlsVersion: 'FEFD',
      dtlsCipher: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
    });
    await startBoth(pair);
    const violations = pair.of('a', 'violation') as Violation[];
    expect(violations).toMatchObject([
      { rule: 'forward-secrecy', action: 'close', actual: 'TLS_RSA_WITH_AES_128_GCM_SHA256' },
    ]);
    expect(pair.of('a', 'close')).toMatchObject([
      { reason: 'policy:forward-secrecy', violation: { rule: 'forward-secrecy' } },
    ]);
    expect(pair.a.state).toBe('closed');
  });

  it('DTLS 1.2 with ECDHE is compliant and flagged as legacy fallback', async () => {
    const pair = createPair({ engines: ['firefox', 'firefox'], both: { rekey: false } });
    pair.network.security = () => ({
      tlsVersion: 'FEFD',
      dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    });
    await connect(pair);
    await run(200);
    expect(pair.a.security).toMatchObject({
      dtlsVersion: '1.2',
      forwardSecrecy: true,
      srtpProfile: 'AEAD_AES_128_GCM',
      compliant: true,
      violations: [],
      advisories: [{ code: 'dtls-legacy-fallback' }],
    });
    expect(pair.of('a', 'violation')).toEqual([]);
    expect(pair.a.state).toBe('connected');
  });

  it('AES_CM profile (Chromium to Chromium): srtp-profile reported once, call stays up, not compliant', async () => {
    const pair = createPair({ engines: ['chrome', 'chrome'], both: { rekey: false } });
    await connect(pair);
    await run(10_000);
    expect(pair.of('a', 'violation')).toMatchObject([
      { rule: 'srtp-profile', action: 'report', actual: 'AES_CM_128_HMAC_SHA1_80' },
    ]);
    expect(pair.a.state).toBe('connected');
    expect(pair.a.security).toMatchObject({
      srtpProfile: 'AES_CM_128_HMAC_SHA1_80',
      compliant: false,
      dtlsVersion: '1.3',
    });
    // security fires on changes only: byte counters alone do not count.
    expect(pair.of('a', 'security')).toHaveLength(1);
    // ...and again, once, for a new generation.
    const rekey = pair.a.rekey();
    await run(5_000);
    await rekey;
    expect(pair.of('a', 'violation')).toMatchObject([{ generation: 0 }, { generation: 1 }]);
    expect(pair.of('a', 'security')).toHaveLength(2);
  });

  it('every snapshot field is filled for Chromium and Firefox shaped stats', async () => {
    for (const engines of [
      ['chrome', 'chrome'],
      ['firefox', 'firefox'],
    ] as const) {
      const pair = createPair({ engines: [...engines], both: { rekey: false } });
      await connect(pair);
      await run(1_500);
      const s = pair.a.security as SecuritySnapshot;
      for (const [key, value] of Object.entries(s))
        expect(value, `${engines[0]} ${key}`).not.toBeNull();
      expect(s.bytesSent).toBeGreaterThan(0);
      expect(s.bytesReceived).toBeGreaterThan(0);
      expect(s.remoteFingerprint).toBe(pair.b.security!.localFingerprint);
      pair.a.close();
    }
  });

  it("action 'rekey': exactly one policy re-key, then a compliant generation", async () => {
    const pair = createPair({
      engines: ['chrome', 'chrome'],
      both: { rekey: false, policy: { actions: { 'srtp-profile': 'rekey' } } },
    });
    // Only the first generation negotiates AES_CM (as if the first DTLS server were Chromium).
    pair.network.security = (pc) =>
      pc.serial <= pair.network.connections()[1]!.serial
        ? null
        : { srtpCipher: 'SRTP_AEAD_AES_128_GCM' };
    await connect(pair);
    await run(10_000);
    for (const side of ['a', 'b'] as const) {
      expect(pair.of(side, 'violation')).toMatchObject([
        { rule: 'srtp-profile', action: 'rekey', generation: 0 },
      ]);
      expect(pair.of(side, 'rekeystart')).toEqual([{ generation: 1, reason: 'policy' }]);
      expect(pair.of(side, 'rekey')).toMatchObject([{ generation: 1, reason: 'policy' }]);
      expect(pair[side].security).toMatchObject({ generation: 1, compliant: true });
    }
    expect(pair.a.generation).toBe(1);
  });

  it("action 'rekey' with a violation that persists: one policy re-key per rule per call, not a loop", async () => {
    const pair = createPair({
      engines: ['chrome', 'chrome'],
      both: { rekey: false, policy: { actions: { 'srtp-profile': 'rekey' } } },
    });
    await startBoth(pair, 60_000);
    // Chromium to Chromium never gets GCM: a second re-key would not help, so none follows.
    expect(pair.of('a', 'rekeystart')).toMatchObject([{ generation: 1, reason: 'policy' }]);
    expect(pair.a.generation).toBe(1);
    expect(pair.b.generation).toBe(1);
    const violations = pair.of('a', 'violation') as Violation[];
    expect(violations.map((v) => v.generation)).toEqual([0, 1]);
    expect(pair.a.state === 'connected' || pair.a.state === 'rekeying').toBe(true);
  });
});
