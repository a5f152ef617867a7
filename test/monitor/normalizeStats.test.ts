import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeStats, type StatsEntry } from '../../src/monitor/normalizeStats';

// Whole getStats() results read from the Debian browsers on this machine kind (copied from
// shared/fixtures/getstats/, see its note field): one offerer and one answerer per file.
interface Fixture {
  browser: string;
  offerer: StatsEntry[];
  answerer: StatsEntry[];
}
const fixture = (name: string): Fixture =>
  JSON.parse(
    readFileSync(new URL(`../fixtures/getstats/${name}.json`, import.meta.url), 'utf8'),
  ) as Fixture;

const chromium = fixture('chromium-156-loopback-audio');
const firefox = fixture('firefox-esr-153-loopback-audio');
const firefox12 = fixture('firefox-esr-153-dtls12');

const HEX = /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/;

function sdpWith(fingerprint: string): string {
  return `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=fingerprint:sha-256 ${fingerprint}\r\na=setup:actpass\r\na=sendrecv\r\n`;
}

describe('normalizeStats on Chromium 156', () => {
  const offerer = normalizeStats(chromium.offerer);
  const answerer = normalizeStats(chromium.answerer);

  it('reads DTLS 1.3, the cipher and the IANA-named SRTP profile as its canonical name', () => {
    expect(offerer).toMatchObject({
      dtlsConnected: true,
      dtlsVersion: '1.3',
      dtlsCipher: 'TLS_AES_128_GCM_SHA256',
      srtpProfile: 'AES_CM_128_HMAC_SHA1_80',
      forwardSecrecy: true,
      dtlsRole: 'server',
    });
    expect(answerer.dtlsRole).toBe('client');
  });

  it('takes bytes from the transport and fingerprints from certificate stats', () => {
    expect(offerer.bytesSent).toBe(10612);
    expect(offerer.bytesReceived).toBe(2884);
    expect(offerer.localFingerprint).toBe(
      '55:BE:80:2C:30:34:70:5D:DD:B9:DC:CA:FB:5F:ED:76:6A:FD:DB:A4:5F:8C:10:8E:B7:25:50:C2:C3:EA:4B:A5',
    );
    expect(offerer.fingerprintAlgorithm).toBe('sha-256');
    // One side's local certificate is the other side's remote one.
    expect(offerer.localFingerprint).toBe(answerer.remoteFingerprint);
    expect(offerer.remoteFingerprint).toBe(answerer.localFingerprint);
  });

  it('counts audio packets received (the answerer receives, the offerer only sends here)', () => {
    expect(answerer.audioPacketsReceived).toBeGreaterThan(0);
  });

  it('prefers certificate stats over SDP when both exist', () => {
    const other = 'AA:'.repeat(31) + 'AA';
    const withSdp = normalizeStats(chromium.offerer, {
      local: sdpWith(other),
      remote: sdpWith(other),
    });
    expect(withSdp.localFingerprint).toBe(offerer.localFingerprint);
  });
});

describe('normalizeStats on Firefox ESR 153', () => {
  it('reads version, cipher and the GCM profile from transport stats', () => {
    const offerer = normalizeStats(firefox.offerer);
    expect(offerer).toMatchObject({
      dtlsConnected: true,
      dtlsVersion: '1.3',
      dtlsCipher: 'TLS_AES_128_GCM_SHA256',
      srtpProfile: 'AEAD_AES_128_GCM',
      forwardSecrecy: true,
      dtlsRole: 'server',
    });
  });

  it('takes bytes from the selected candidate pair, since Firefox transports have none', () => {
    const offerer = normalizeStats(firefox.offerer);
    // The selected pair cd2d51bc, not the cancelled one with zero bytes.
    expect(offerer.bytesSent).toBe(5225);
    expect(offerer.bytesReceived).toBe(3395);
    const answerer = normalizeStats(firefox.answerer);
    expect(answerer.bytesSent).toBe(3395);
    expect(answerer.bytesReceived).toBe(5225);
  });

  it('takes fingerprints from the SDP, since Firefox has no certificate stats', () => {
    const local =
      '3C:40:07:4D:B1:0A:C7:B5:70:0E:53:AE:70:F4:5B:F0:D6:DC:97:E4:93:2F:E3:26:47:F8:80:9F:5A:1B:02:C7';
    const remote =
      'f8:6b:47:f5:83:b9:c4:92:72:6c:bb:7d:06:76:e3:87:c5:dc:e6:6d:bc:91:9d:c5:bd:61:b5:20:9e:f3:a2:61';
    const result = normalizeStats(firefox.offerer, {
      local: sdpWith(local),
      remote: sdpWith(remote),
    });
    expect(result.localFingerprint).toBe(local);
    expect(result.remoteFingerprint).toBe(remote.toUpperCase());
    expect(result.remoteFingerprint).toMatch(HEX);
    expect(result.fingerprintAlgorithm).toBe('sha-256');
  });

  it('reports DTLS 1.2 with an ECDHE suite as forward secret', () => {
    const result = normalizeStats(firefox12.offerer);
    expect(result).toMatchObject({
      dtlsVersion: '1.2',
      dtlsCipher: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      srtpProfile: 'AEAD_AES_128_GCM',
      forwardSecrecy: true,
    });
  });
});

describe('normalizeStats on partial or hostile input', () => {
  it('reports nothing negotiated before DTLS is up', () => {
    const result = normalizeStats([{ id: 'T', type: 'transport', dtlsState: 'connecting' }]);
    expect(result).toMatchObject({
      dtlsConnected: false,
      dtlsVersion: null,
      srtpProfile: null,
      forwardSecrecy: false,
      bytesSent: 0,
      localFingerprint: null,
      candidateType: null,
    });
  });

  it('reads candidate types of the selected pair and never an address', () => {
    const entries: StatsEntry[] = [
      { id: 'T', type: 'transport', dtlsState: 'connected', selectedCandidatePairId: 'P' },
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
      { id: 'L', type: 'local-candidate', candidateType: 'relay', address: '192.0.2.1' },
      { id: 'R', type: 'remote-candidate', candidateType: 'srflx', address: '198.51.100.7' },
    ];
    const result = normalizeStats(entries);
    expect(result.candidateType).toBe('relay');
    expect(result.remoteCandidateType).toBe('srflx');
    expect(JSON.stringify(result)).not.toMatch(/192\.0\.2|198\.51/);
  });

  it('ignores unknown candidate types, negative or non-numeric counters and junk fingerprints', () => {
    const entries: StatsEntry[] = [
      {
        id: 'T',
        type: 'transport',
        dtlsState: 'connected',
        tlsVersion: 'fefd',
        srtpCipher: 'SRTP_NULL_HMAC_SHA1_80',
        bytesSent: -5,
        bytesReceived: 'lots',
        localCertificateId: 'C',
        selectedCandidatePairId: 'P',
      },
      { id: 'C', type: 'certificate', fingerprint: '<script>' },
      { id: 'P', type: 'candidate-pair', localCandidateId: 'L' },
      { id: 'L', type: 'local-candidate', candidateType: 'mdns' },
    ];
    const result = normalizeStats(entries);
    expect(result.dtlsVersion).toBe('1.2'); // hex compared case-insensitively
    expect(result.srtpProfile).toBeNull();
    expect(result.bytesSent).toBe(0);
    expect(result.bytesReceived).toBe(0);
    expect(result.localFingerprint).toBeNull();
    expect(result.candidateType).toBeNull();
  });

  it('accepts a Map-like RTCStatsReport as well as an array', () => {
    const map = new Map(firefox.offerer.map((e) => [e.id, e]));
    expect(normalizeStats(map)).toEqual(normalizeStats(firefox.offerer));
  });
});
