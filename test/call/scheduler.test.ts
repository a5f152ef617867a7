import { describe, expect, it, vi } from 'vitest';
import type { RekeyFailure } from '../../src/types.js';
import { connect, createPair, run, stateTimes } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

type Start = { generation: number; reason: string };

describe('re-key scheduler', () => {
  it('fires the interval trigger intervalMs after each generation took over', async () => {
    const pair = createPair({ a: { rekey: { intervalMs: 10_000 } }, b: { rekey: false } });
    const times = stateTimes(pair.a);
    await connect(pair);
    const connectedAt = times.get('connected')!;
    expect(pair.a.nextRekey.inMs).toBe(10_000 - (Date.now() - connectedAt));
    expect(pair.b.nextRekey.inMs).toBeNull();
    await run(connectedAt + 9_999 - Date.now());
    expect(pair.of('a', 'rekeystart')).toEqual([]);
    await run(1);
    expect(pair.of('a', 'rekeystart')).toEqual([{ generation: 1, reason: 'interval' }]);
    await run(2_000);
    expect(pair.of('a', 'rekey')).toMatchObject([{ generation: 1, reason: 'interval' }]);
    expect(pair.of('b', 'rekey')).toMatchObject([{ generation: 1, reason: 'remote' }]);
    // The clock restarts when the new generation takes over, not when the attempt began.
    const switchedAt = times.get('connected')!;
    expect(switchedAt).toBeGreaterThan(connectedAt + 10_000);
    await run(switchedAt + 9_999 - Date.now());
    expect(pair.of('a', 'rekeystart')).toHaveLength(1);
    await run(1);
    expect(pair.of('a', 'rekeystart')).toEqual([
      { generation: 1, reason: 'interval' },
      { generation: 2, reason: 'interval' },
    ]);
  });

  it('keeps a steady cadence: 10 interval re-keys in 10 intervals (plus handshakes)', async () => {
    const pair = createPair({ both: { rekey: { intervalMs: 5_000 } } });
    await connect(pair);
    await run(10 * 5_000 + 10 * 200);
    expect(pair.a.generation).toBe(10);
    expect(pair.b.generation).toBe(10);
    expect((pair.of('a', 'rekey') as Start[]).every((r) => r.reason === 'interval')).toBe(true);
  });

  it('fires the bytes trigger once the current connection carried maxBytes', async () => {
    // 50 packets/s of 100 bytes each way: 10 kB/s sent plus received.
    const pair = createPair({ a: { rekey: { maxBytes: 30_000 } }, b: { rekey: false } });
    await connect(pair);
    await run(2_000);
    expect(pair.of('a', 'rekeystart')).toEqual([]);
    expect(pair.a.nextRekey.bytesLeft).toBeGreaterThan(0);
    await run(2_000);
    expect(pair.of('a', 'rekeystart')).toEqual([{ generation: 1, reason: 'bytes' }]);
    await run(1_000);
    expect(pair.of('a', 'rekey')).toMatchObject([{ generation: 1, reason: 'bytes' }]);
    // Bytes count per connection: the new one starts from zero, so no immediate second re-key.
    await run(1_000);
    expect(pair.of('a', 'rekeystart')).toHaveLength(1);
    await run(3_000);
    expect(pair.of('a', 'rekeystart')).toMatchObject([
      { generation: 1 },
      { generation: 2, reason: 'bytes' },
    ]);
  });

  it('rekey: false never schedules a re-key (only the monitor timer stays)', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    expect(pair.a.nextRekey).toEqual({ inMs: null, bytesLeft: null });
    await run(2 * 3_600_000);
    expect(pair.of('a', 'rekeystart')).toEqual([]);
    expect(pair.of('b', 'rekeystart')).toEqual([]);
    expect(pair.a.generation).toBe(0);
    expect(vi.getTimerCount()).toBe(2); // one stats timer per side
  });

  it('rekey: false still allows call.rekey() and answers the other side', async () => {
    const pair = createPair({ a: { rekey: false }, b: { rekey: false } });
    await connect(pair);
    const report = pair.b.rekey();
    await run(5_000);
    await expect(report).resolves.toMatchObject({ generation: 1, reason: 'manual' });
    expect(pair.of('a', 'rekey')).toMatchObject([{ generation: 1, reason: 'remote' }]);
  });

  it.each([
    [0, [500, 1_000, 2_000, 2_000, 2_000]],
    [0.5, [750, 1_500, 3_000, 3_000, 3_000]],
    [0.999, [1_000, 1_999, 3_998, 3_998, 3_998]],
  ])(
    'retries a timed-out re-key with jitter %s: delays %j (doubling, capped)',
    async (fraction, delays) => {
      const pair = createPair({
        randomFraction: fraction,
        a: {
          rekey: { intervalMs: 1_000_000, timeoutMs: 2_000, retryBaseMs: 1_000, retryMaxMs: 4_000 },
        },
        b: { rekey: false },
      });
      await connect(pair);
      // Every later generation's connection never gets through.
      pair.network.connectable = () => false;
      const rekey = pair.a.rekey();
      const rejected = expect(rekey).rejects.toMatchObject({ code: 'negotiation-failed' });
      const failures: Array<RekeyFailure & { at: number }> = [];
      const starts: number[] = [];
      pair.a.on('rekeyfailed', (f) => failures.push({ ...f, at: Date.now() }));
      pair.a.on('rekeystart', () => starts.push(Date.now()));
      await run(40_000);
      await rejected;
      expect(failures.length).toBeGreaterThanOrEqual(delays.length);
      expect(failures.slice(0, delays.length).map((f) => f.retryInMs)).toEqual(delays);
      expect(failures.slice(0, delays.length).map((f) => f.attempt)).toEqual([1, 2, 3, 4, 5]);
      expect(
        failures.every((f) => f.code === 'timeout' && f.generation === 1 && f.reason === 'manual'),
      ).toBe(true);
      // Each retry starts exactly retryInMs after the failure that scheduled it.
      expect(starts[0]).toBe(failures[0]!.at - 2_000);
      for (let i = 0; i < delays.length - 1; i++)
        expect(starts[i + 1]! - failures[i]!.at).toBe(delays[i]);
      expect(pair.a.state).toBe('connected');
      expect(pair.a.generation).toBe(0);
    },
  );

  it('a successful re-key resets the backoff', async () => {
    const pair = createPair({
      a: {
        rekey: { intervalMs: 1_000_000, timeoutMs: 2_000, retryBaseMs: 1_000, retryMaxMs: 8_000 },
      },
      b: { rekey: false },
    });
    await connect(pair);
    pair.network.connectable = () => false;
    void pair.a.rekey().catch(() => undefined);
    await run(2_000 + 750 + 2_000 + 1);
    const failures = pair.of('a', 'rekeyfailed') as RekeyFailure[];
    expect(failures.map((f) => f.attempt)).toEqual([1, 2]);
    pair.network.connectable = () => true;
    await run(5_000);
    expect(pair.a.generation).toBe(1);
    pair.network.connectable = () => false;
    void pair.a.rekey().catch(() => undefined);
    await run(2_001);
    expect((pair.of('a', 'rekeyfailed') as RekeyFailure[]).at(-1)).toMatchObject({
      attempt: 1,
      retryInMs: 750,
    });
  });
});
