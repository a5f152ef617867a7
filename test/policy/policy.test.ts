import { describe, expect, it } from 'vitest';
import { evaluatePolicy } from '../../src/policy/evaluate';
import { DEFAULT_POLICY, resolvePolicy } from '../../src/policy/Policy';
import type { TransportSecurity } from '../../src/monitor/normalizeStats';

const negotiated = (over: Partial<TransportSecurity> = {}): TransportSecurity => ({
  dtlsConnected: true,
  dtlsVersion: '1.3',
  dtlsCipher: 'TLS_AES_128_GCM_SHA256',
  srtpProfile: 'AEAD_AES_128_GCM',
  forwardSecrecy: true,
  dtlsRole: 'server',
  bytesSent: 1,
  bytesReceived: 1,
  localFingerprint: 'AA:BB',
  remoteFingerprint: 'CC:DD',
  fingerprintAlgorithm: 'sha-256',
  candidateType: 'host',
  remoteCandidateType: 'host',
  audioPacketsReceived: 1,
  ...over,
});

describe('default policy', () => {
  const policy = resolvePolicy(undefined);

  it('is the production policy', () => {
    expect(policy).toEqual({
      minDtlsVersion: '1.2',
      preferredDtlsVersion: '1.3',
      requireForwardSecrecy: true,
      minSrtpProfile: 'AEAD_AES_128_GCM',
      actions: { 'dtls-version': 'close', 'forward-secrecy': 'close', 'srtp-profile': 'report' },
    });
    // Callers get a copy: changing it does not change the defaults.
    policy.actions['dtls-version'] = 'report';
    expect(DEFAULT_POLICY.actions['dtls-version']).toBe('close');
  });

  it('accepts DTLS 1.3 with GCM and forward secrecy without remarks', () => {
    expect(evaluatePolicy(negotiated(), resolvePolicy(undefined), 0)).toEqual({
      violations: [],
      advisories: [],
    });
  });

  it('accepts DTLS 1.2 as a legacy fallback, with an advisory and no violation', () => {
    const verdict = evaluatePolicy(
      negotiated({ dtlsVersion: '1.2', dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' }),
      resolvePolicy(undefined),
      3,
    );
    expect(verdict.violations).toEqual([]);
    expect(verdict.advisories).toEqual([
      expect.objectContaining({ code: 'dtls-legacy-fallback', generation: 3 }),
    ]);
  });

  it('closes on DTLS 1.0 and on a missing version', () => {
    for (const dtlsVersion of ['1.0', null] as const) {
      const [violation] = evaluatePolicy(
        negotiated({ dtlsVersion }),
        resolvePolicy(undefined),
        1,
      ).violations;
      expect(violation).toMatchObject({
        rule: 'dtls-version',
        action: 'close',
        expected: '>= 1.2',
        generation: 1,
      });
      expect(violation?.actual).toBe(dtlsVersion ?? 'unknown');
    }
  });

  it('closes without forward secrecy', () => {
    const { violations } = evaluatePolicy(
      negotiated({
        dtlsVersion: '1.2',
        dtlsCipher: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
        forwardSecrecy: false,
      }),
      resolvePolicy(undefined),
      0,
    );
    expect(violations).toEqual([
      expect.objectContaining({
        rule: 'forward-secrecy',
        action: 'close',
        actual: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
      }),
    ]);
  });

  it('only reports AES_CM below the GCM floor (Chromium to Chromium never negotiates GCM)', () => {
    const { violations } = evaluatePolicy(
      negotiated({ srtpProfile: 'AES_CM_128_HMAC_SHA1_80' }),
      resolvePolicy(undefined),
      0,
    );
    expect(violations).toEqual([
      expect.objectContaining({
        rule: 'srtp-profile',
        action: 'report',
        actual: 'AES_CM_128_HMAC_SHA1_80',
      }),
    ]);
  });

  it('treats an unreported profile as a violation: nobody saw it', () => {
    const { violations } = evaluatePolicy(
      negotiated({ srtpProfile: null }),
      resolvePolicy(undefined),
      0,
    );
    expect(violations[0]).toMatchObject({ rule: 'srtp-profile', actual: 'unknown' });
  });
});

describe('custom policies', () => {
  it('demanding DTLS 1.3 makes 1.2 a violation instead of an advisory', () => {
    const policy = resolvePolicy({ minDtlsVersion: '1.3' });
    expect(policy.preferredDtlsVersion).toBe('1.3');
    const verdict = evaluatePolicy(negotiated({ dtlsVersion: '1.2' }), policy, 0);
    expect(verdict.advisories).toEqual([]);
    expect(verdict.violations).toEqual([
      expect.objectContaining({ rule: 'dtls-version', action: 'close', expected: '>= 1.3' }),
    ]);
  });

  it('lets each rule report, re-key or close', () => {
    const policy = resolvePolicy({
      actions: { 'srtp-profile': 'close', 'dtls-version': 'report' },
    });
    expect(policy.actions).toEqual({
      'dtls-version': 'report',
      'forward-secrecy': 'close',
      'srtp-profile': 'close',
    });
  });

  it('can switch forward secrecy off', () => {
    const policy = resolvePolicy({ requireForwardSecrecy: false });
    expect(evaluatePolicy(negotiated({ forwardSecrecy: false }), policy, 0).violations).toEqual([]);
  });

  it.each([
    [null, 'policy must be an object'],
    ['strict', 'policy must be an object'],
    [{ minDtlsVersion: '1.1' }, 'policy.minDtlsVersion'],
    [{ minDtlsVersion: 1.2 }, 'policy.minDtlsVersion'],
    [{ preferredDtlsVersion: '1.0' }, 'policy.preferredDtlsVersion must not be older'],
    [{ minSrtpProfile: 'AES_GCM' }, 'policy.minSrtpProfile'],
    [{ requireForwardSecrecy: 'yes' }, 'policy.requireForwardSecrecy'],
    [{ actions: [] }, 'policy.actions must be an object'],
    [{ actions: { 'srtp-profile': 'warn' } }, 'policy.actions.srtp-profile'],
    [{ actions: { cipher: 'close' } }, 'policy.actions.cipher is not a rule'],
    [{ minDTLSVersion: '1.3' }, 'policy.minDTLSVersion is not a policy option'],
  ])('rejects %j with a TypeError naming the option', (input, message) => {
    expect(() => resolvePolicy(input)).toThrow(TypeError);
    expect(() => resolvePolicy(input)).toThrow(message);
  });
});
