import { describe, expect, it } from 'vitest';
import { compareDtlsVersions, hasForwardSecrecy, parseDtlsVersion } from '../../src/monitor/dtls';
import { fingerprintFromSdp, normalizeFingerprint } from '../../src/monitor/fingerprint';
import { compareSrtpProfiles, normalizeSrtpProfile } from '../../src/monitor/srtp';

describe('SRTP profile names', () => {
  it.each([
    ['SRTP_AES128_CM_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80'],
    ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_80'],
    ['SRTP_AES128_CM_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_32'],
    ['AES_CM_128_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_32'],
    ['SRTP_AEAD_AES_128_GCM', 'AEAD_AES_128_GCM'],
    ['AEAD_AES_128_GCM', 'AEAD_AES_128_GCM'],
    ['SRTP_AEAD_AES_256_GCM', 'AEAD_AES_256_GCM'],
    ['srtp_aead_aes_256_gcm', 'AEAD_AES_256_GCM'],
  ])('%s is %s', (reported, canonical) => {
    expect(normalizeSrtpProfile(reported)).toBe(canonical);
  });

  it.each([undefined, null, 42, '', 'SRTP_NULL_HMAC_SHA1_80', 'AES_F8'])(
    '%s is unknown',
    (reported) => {
      expect(normalizeSrtpProfile(reported)).toBeNull();
    },
  );

  it('orders profiles by strength', () => {
    expect(compareSrtpProfiles('AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM')).toBeLessThan(0);
    expect(compareSrtpProfiles('AES_CM_128_HMAC_SHA1_32', 'AES_CM_128_HMAC_SHA1_80')).toBeLessThan(
      0,
    );
    expect(compareSrtpProfiles('AEAD_AES_256_GCM', 'AEAD_AES_128_GCM')).toBeGreaterThan(0);
  });
});

describe('DTLS versions and forward secrecy', () => {
  it.each([
    ['FEFF', '1.0'],
    ['FEFD', '1.2'],
    ['FEFC', '1.3'],
    ['fefc', '1.3'],
    [' FeFd ', '1.2'],
  ])('tlsVersion %s is DTLS %s', (hex, version) => {
    expect(parseDtlsVersion(hex)).toBe(version);
  });

  it.each(['0303', 'FEFE', '', undefined, 771])('tlsVersion %s is unknown', (hex) => {
    expect(parseDtlsVersion(hex)).toBeNull();
  });

  it('orders versions', () => {
    expect(compareDtlsVersions('1.2', '1.3')).toBeLessThan(0);
    expect(compareDtlsVersions('1.0', '1.2')).toBeLessThan(0);
    expect(compareDtlsVersions('1.3', '1.3')).toBe(0);
  });

  it('gives every DTLS 1.3 suite forward secrecy', () => {
    expect(hasForwardSecrecy('1.3', 'TLS_AES_128_GCM_SHA256')).toBe(true);
    expect(hasForwardSecrecy('1.3', null)).toBe(true);
  });

  it('gives DTLS 1.2 forward secrecy only with an ephemeral key exchange', () => {
    expect(hasForwardSecrecy('1.2', 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256')).toBe(true);
    expect(hasForwardSecrecy('1.2', 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256')).toBe(true);
    expect(hasForwardSecrecy('1.2', 'TLS_RSA_WITH_AES_128_GCM_SHA256')).toBe(false);
    expect(hasForwardSecrecy('1.2', 'TLS_ECDH_ECDSA_WITH_AES_128_GCM_SHA256')).toBe(false);
    expect(hasForwardSecrecy('1.2', 'TLS_PSK_WITH_AES_128_GCM_SHA256')).toBe(false);
    expect(hasForwardSecrecy('1.2', null)).toBe(false);
    expect(hasForwardSecrecy(null, 'something new')).toBe(false);
  });
});

describe('fingerprints', () => {
  it('uppercases and validates hex pairs', () => {
    expect(normalizeFingerprint('ab:cd:0f')).toBe('AB:CD:0F');
    expect(normalizeFingerprint('ABCD')).toBeNull();
    expect(normalizeFingerprint('AB:CD:')).toBeNull();
    expect(normalizeFingerprint('<b>')).toBeNull();
  });

  it('reads the first a=fingerprint line of an SDP', () => {
    const sdp =
      'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:SHA-256 aa:bb:cc\r\na=fingerprint:sha-1 11:22\r\n';
    expect(fingerprintFromSdp(sdp)).toEqual({ algorithm: 'sha-256', value: 'AA:BB:CC' });
    expect(fingerprintFromSdp('v=0\r\n')).toBeNull();
    expect(fingerprintFromSdp(undefined)).toBeNull();
  });
});
