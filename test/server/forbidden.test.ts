/** The defence-in-depth scan for addresses, candidates, certificates and SDP in record strings. */
import { describe, expect, it } from 'vitest';
import { findForbidden, forbiddenReason } from '../../server/collector/forbidden.js';
import { FP_A } from './records.js';

describe('forbiddenReason', () => {
  it.each([
    ['10.0.0.1', /IPv4/],
    ['connect to 192.168.1.20.', /IPv4/],
    ['host:1.2.3.4:5000', /IPv4/],
    ['::ffff:203.0.113.9', /IPv4/],
    ['fe80::1%eth0', /IPv6/],
    ['[2001:db8::1]:443', /IPv6/],
    ['relay at 2001:0db8:85a3:0000:0000:8a2e:0370:7334', /IPv6/],
    ['::1', /IPv6/],
    ['a=candidate:1 1 udp 2122260223 host', /candidate/],
    ['-----BEGIN CERTIFICATE-----\nMIIB', /certificate/],
    ['v=0\r\no=- 4611731400430051336 2 IN IP4', /SDP/],
  ])('flags %j', (value, reason) => {
    expect(forbiddenReason(value)).toMatch(reason);
  });

  it.each([
    'TLS_AES_128_GCM_SHA256',
    FP_A,
    'sha-256',
    'std::string went wrong',
    'at 12:30:45',
    'Chrome 121.0.6167.85',
    '0.1.0-beta.2',
    '>= 1.2',
    'AES_CM_128_HMAC_SHA1_80',
    'policy:srtp-profile',
    'Not a supported browser.',
  ])('lets %j through', (value) => {
    expect(forbiddenReason(value)).toBeNull();
  });

  it('points at the first forbidden string in a nested record', () => {
    expect(findForbidden({ a: { b: ['ok', 'x 10.0.0.1'] } })).toEqual({
      path: '/a/b/1',
      message: 'contains an IPv4 address',
    });
    expect(findForbidden({ a: { 'x/y': 'fe80::1' } })).toEqual({
      path: '/a/x~1y',
      message: 'contains an IPv6 address',
    });
    expect(findForbidden({ a: [1, true, null, 'fine'] })).toBeNull();
  });
});
