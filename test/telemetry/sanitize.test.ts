import { describe, expect, it } from 'vitest';
import { forbiddenReason } from '../../server/collector/forbidden.js';
import { isForbidden, matchOrNull, REDACTED, redact } from '../../src/telemetry/sanitize.js';
import { FINGERPRINT_A } from './fixtures.js';

const SHA1 = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01';
const SHA512 = Array.from({ length: 64 }, (_, i) =>
  ((i * 7) % 256).toString(16).padStart(2, '0').toUpperCase(),
).join(':');

const FORBIDDEN = [
  '192.168.1.20',
  'connect to 10.0.0.1:3478 failed',
  'host:1.2.3.4:5000',
  '2001:db8:85a3:0:0:8a2e:370:7334',
  '2001:db8::1',
  'peer at fe80::1%eth0 timed out',
  'ip:fe80::1',
  '::1',
  '[::1]:443',
  '::ffff:192.0.2.1',
  '1:2:3:4:5:6:7::',
  'a::',
  '::',
  'a=candidate:842163049 1 udp 1677729535 x.local 54321 typ srflx',
  'candidate:1 1 udp 2122260223 2f1e6c52-8d4a-4c7f-b6d2-0c2f3f1a9e11.local 54321 typ host',
  '-----BEGIN CERTIFICATE-----\nMIIB...',
  '-----BEGIN PRIVATE KEY-----',
  'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1',
  'v=0\no=mozilla...THIS_IS_SDPARTA',
];

const CLEAN = [
  FINGERPRINT_A,
  FINGERPRINT_A.toLowerCase(),
  SHA1,
  SHA512,
  `fingerprint ${FINGERPRINT_A} changed`,
  'sha-256',
  'TLS_AES_128_GCM_SHA256',
  'AEAD_AES_128_GCM',
  '>= 1.2',
  '1.0',
  'DTLS 1.2 is below the policy minimum 1.3',
  'Chrome 120.0.6099.109',
  'retry at 12:30:45',
  'aa:bb:cc:dd:ee:ff',
  'std::string',
  'Not a supported browser.',
  'rekey-rtc',
  '0.1.0-beta.2',
];

describe('sanitize', () => {
  it.each(FORBIDDEN)('redacts %j', (text) => {
    expect(isForbidden(text)).toBe(true);
    expect(redact(text, 512)).toBe(REDACTED);
  });

  it.each(CLEAN)('keeps %j', (text) => {
    expect(isForbidden(text)).toBe(false);
    expect(redact(text, 512)).toBe(text);
  });

  it('never lets through a string the collector would refuse', () => {
    for (const text of [...FORBIDDEN, ...CLEAN]) {
      if (forbiddenReason(text) !== null) expect(isForbidden(text), text).toBe(true);
    }
  });

  it('redacts whatever the collector would refuse, over many generated strings', () => {
    // A small seeded generator (mulberry32) keeps the test deterministic.
    let seed = 42;
    const random = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const alphabet = '0123456789abcdefABCDEFxyz::::....  %-_[]';
    let refused = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(random() * 24);
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      if (forbiddenReason(text) !== null) {
        refused += 1;
        expect(isForbidden(text), text).toBe(true);
      }
    }
    expect(refused).toBeGreaterThan(100);
  });

  it('cuts long strings to the field limit', () => {
    expect(redact('x'.repeat(600), 512)).toHaveLength(512);
  });

  it('turns a pattern mismatch or a forbidden value into null', () => {
    const cipher = /^[A-Za-z0-9_-]{1,64}$/;
    expect(matchOrNull('TLS_AES_128_GCM_SHA256', cipher)).toBe('TLS_AES_128_GCM_SHA256');
    expect(matchOrNull('TLS 10.0.0.1', cipher)).toBeNull();
    expect(matchOrNull(null, cipher)).toBeNull();
  });
});
