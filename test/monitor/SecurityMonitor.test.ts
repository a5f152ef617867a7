import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { TransportSecurity } from '../../src/monitor/normalizeStats';
import { SecurityMonitor, type MonitoredConnection } from '../../src/monitor/SecurityMonitor';
import type { Platform } from '../../src/platform';
import { resolvePolicy } from '../../src/policy/Policy';
import type { SecuritySnapshot, Violation } from '../../src/types';

const base: TransportSecurity = {
  dtlsConnected: true,
  dtlsVersion: '1.3',
  dtlsCipher: 'TLS_AES_128_GCM_SHA256',
  srtpProfile: 'AES_CM_128_HMAC_SHA1_80',
  forwardSecrecy: true,
  dtlsRole: 'server',
  bytesSent: 0,
  bytesReceived: 0,
  localFingerprint: 'AA:AA',
  remoteFingerprint: 'BB:BB',
  fingerprintAlgorithm: 'sha-256',
  candidateType: 'host',
  remoteCandidateType: 'host',
  audioPacketsReceived: 1,
};

/** A connection whose stats the test sets; bytes grow on every read. */
function connection(number: number, over: Partial<TransportSecurity> = {}) {
  let bytes = 0;
  const conn = {
    number,
    security: { ...base, ...over },
    readSecurity: vi.fn(async () => {
      bytes += 100;
      return { ...conn.security, bytesSent: bytes, bytesReceived: bytes };
    }),
  };
  return conn satisfies MonitoredConnection;
}

const platform = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
} as unknown as Platform;

describe('SecurityMonitor', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function monitor() {
    const seen = {
      stats: [] as SecuritySnapshot[],
      security: [] as SecuritySnapshot[],
      violations: [] as Violation[],
    };
    const m = new SecurityMonitor(platform, resolvePolicy(undefined), 1000, {
      stats: (s) => seen.stats.push(s),
      security: (s) => seen.security.push(s),
      violation: (v) => seen.violations.push(v),
    });
    return { m, seen };
  }

  it('reads on watch and then every interval; security and violation only on change', async () => {
    const { m, seen } = monitor();
    const gen0 = connection(0);
    m.watch(gen0);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(gen0.readSecurity).toHaveBeenCalledTimes(4);
    expect(seen.stats).toHaveLength(4);
    expect(seen.stats.map((s) => s.bytesSent)).toEqual([100, 200, 300, 400]);
    expect(seen.security).toHaveLength(1); // bytes alone are not a security change
    expect(seen.violations).toEqual([
      expect.objectContaining({ rule: 'srtp-profile', generation: 0 }),
    ]);
    expect(m.latest?.bytesSent).toBe(400);

    gen0.security.dtlsRole = 'client';
    await vi.advanceTimersByTimeAsync(1_000);
    expect(seen.security).toHaveLength(2);
    expect(seen.violations).toHaveLength(1); // same rule, same generation: reported once
    m.stop();
  });

  it('reports the same rule again for a new generation, and drops reads of an unwatched one', async () => {
    const { m, seen } = monitor();
    const gen0 = connection(0);
    m.watch(gen0);
    await vi.advanceTimersByTimeAsync(0);
    const gen1 = connection(1);
    m.watch(gen1);
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.violations.map((v) => v.generation)).toEqual([0, 1]);
    expect(m.latest?.generation).toBe(1);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(gen0.readSecurity).toHaveBeenCalledTimes(1);
    m.stop();
  });

  it('ignores reads before DTLS is up and stops for good', async () => {
    const { m, seen } = monitor();
    const gen0 = connection(0, { dtlsConnected: false });
    m.watch(gen0);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(seen.stats).toEqual([]);
    expect(m.latest).toBeNull();
    m.stop();
    m.stop();
    gen0.security.dtlsConnected = true;
    await vi.advanceTimersByTimeAsync(5_000);
    expect(seen.stats).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("gives a generation's own snapshot for a report, reading it when the latest is older", async () => {
    const { m } = monitor();
    const gen0 = connection(0);
    m.watch(gen0);
    await vi.advanceTimersByTimeAsync(0);
    const gen1 = connection(1, { localFingerprint: 'CC:CC' });
    expect((await m.snapshotOf(gen1))?.localFingerprint).toBe('CC:CC');
    expect((await m.snapshotOf(gen0))?.generation).toBe(0);
    m.stop();
  });
});
