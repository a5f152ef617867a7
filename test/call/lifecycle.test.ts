import { describe, expect, it, vi } from 'vitest';
import type { RekeyReport, SecuritySnapshot } from '../../src/types.js';
import { connect, createPair, run } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

describe('nothing of a retired generation lingers', () => {
  it('100 manual re-keys leave one open connection per side and only the monitor timers', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    for (let i = 1; i <= 100; i++) {
      const report = (i % 2 ? pair.a : pair.b).rekey();
      await run(1_000); // no WebAudio here: playout switches at once, the old one retires 250 ms later
      await expect(report).resolves.toMatchObject({ generation: i });
    }
    await run(1_000);
    expect(pair.a.generation).toBe(100);
    expect(pair.b.generation).toBe(100);
    for (const side of ['a', 'b'] as const) {
      expect(pair.network.connections(side)).toHaveLength(101);
      const open = pair.network.open(side);
      expect(open).toHaveLength(1);
      expect(open[0]!.connectionState).toBe('connected');
      // Retired connections keep no listener of ours.
      for (const pc of pair.network.connections(side).filter((pc) => pc.closed))
        expect(pc.listenerCount).toBe(0);
      expect(pair.of(side, 'rekey')).toHaveLength(100);
      const fingerprints = (pair.of(side, 'rekey') as RekeyReport[]).map((r) => r.fingerprint);
      expect(new Set(fingerprints).size).toBe(100);
      // remoteStream still has exactly one audio track: the newest generation's.
      expect(pair[side].remoteStream.getAudioTracks()).toHaveLength(1);
    }
    // One stats timer per side; nothing of the retired generations.
    expect(vi.getTimerCount()).toBe(2);
    pair.a.close();
    await run(100);
    expect(vi.getTimerCount()).toBe(0);
    expect(pair.network.open('a')).toHaveLength(0);
    expect(pair.network.open('b')).toHaveLength(0);
  });

  it('100 scheduled re-keys: one open connection per side, scheduler + monitor timers only', async () => {
    const pair = createPair({ both: { rekey: { intervalMs: 1_000 } } });
    await connect(pair);
    for (let i = 0; i < 100 && pair.a.generation < 100; i++) await run(1_000);
    await run(1_500 * (100 - pair.a.generation));
    expect(pair.a.generation).toBeGreaterThanOrEqual(100);
    // Stop between re-keys: right after the switch and retirement, before the next interval.
    while (
      pair.a.state !== 'connected' ||
      pair.b.state !== 'connected' ||
      pair.network.open('a').length !== 1
    )
      await run(10);
    await run(200);
    expect(pair.a.generation).toBe(pair.b.generation);
    expect(pair.network.open('a')).toHaveLength(1);
    expect(pair.network.open('b')).toHaveLength(1);
    // Per side: one interval timer, one stats timer.
    expect(vi.getTimerCount()).toBe(4);
    expect(pair.of('a', 'rekeyfailed')).toEqual([]);
    pair.b.close();
    await run(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() in the middle of a re-key leaves zero timers and zero open connections', async () => {
    const pair = createPair({ both: { rekey: { intervalMs: 5_000 } } });
    await connect(pair);
    pair.network.connectDelayMs = 1_000;
    const rekey = pair.a.rekey();
    const closed = expect(rekey).rejects.toMatchObject({ code: 'closed' });
    await run(200);
    expect(pair.a.state).toBe('rekeying');
    expect(pair.network.open('a')).toHaveLength(2);
    pair.a.close();
    await closed;
    await run(100);
    expect(pair.a.state).toBe('closed');
    expect(pair.b.state).toBe('closed');
    expect(pair.network.open('a')).toHaveLength(0);
    expect(pair.network.open('b')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('close() during the overlap (switched, old not yet retired) leaves nothing', async () => {
    const pair = createPair({ both: { rekey: false } });
    pair.signaling.drop = (m) => m['kind'] === 'switched';
    await connect(pair);
    const rekey = pair.a.rekey();
    rekey.catch(() => undefined);
    await run(500); // switched on both sides, retirement waits for the lost confirmation (6 s)
    expect(pair.network.open('a')).toHaveLength(2);
    pair.b.close();
    await run(100);
    expect(pair.network.open('a')).toHaveLength(0);
    expect(pair.network.open('b')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    await expect(rekey).rejects.toMatchObject({ code: 'closed' });
  });

  it('with peers that see the other close (peerCloseFails), 20 re-keys stay clean', async () => {
    const pair = createPair({ both: { rekey: false } });
    pair.network.peerCloseFails = true;
    await connect(pair);
    for (let i = 1; i <= 20; i++) {
      const report = pair.a.rekey();
      await run(6_000);
      await report;
    }
    expect(pair.a.generation).toBe(20);
    expect(pair.b.generation).toBe(20);
    expect(pair.of('a', 'rekey')).toHaveLength(20);
    expect(pair.of('b', 'rekey')).toHaveLength(20);
    expect(pair.network.open('a')).toHaveLength(1);
    expect(pair.network.open('b')).toHaveLength(1);
    expect(pair.of('a', 'rekeystart')).toHaveLength(20);
    expect(pair.of('b', 'rekeystart')).toHaveLength(20);
  });
});

describe('a getStats() that never settles', () => {
  it('one pending when its connection closes (Firefox) stops neither the monitor nor re-keys', async () => {
    const pair = createPair({
      engines: ['firefox', 'firefox'],
      both: { rekey: false, statsIntervalMs: 100 },
    });
    // Reads always under way: one is pending when each retired generation closes.
    pair.network.statsDelayMs = 400;
    pair.network.closeStrandsStats = true;
    await connect(pair);
    for (let i = 1; i <= 10; i++) {
      const report = pair.a.rekey();
      await run(3_000);
      await expect(report).resolves.toMatchObject({ generation: i });
    }
    const fresh: Record<'a' | 'b', SecuritySnapshot[]> = { a: [], b: [] };
    for (const side of ['a', 'b'] as const) pair[side].on('stats', (s) => fresh[side].push(s));
    await run(2_000);
    for (const side of ['a', 'b'] as const) {
      // Back-to-back reads of 400 ms each: four in 2 s, all of the current generation.
      expect(fresh[side].length).toBeGreaterThanOrEqual(3);
      expect(fresh[side].map((s) => s.generation)).toEqual(fresh[side].map(() => 10));
    }
  });
});

describe('a getStats() that hangs on an open connection', () => {
  it('is given up after 5 s and the monitor reads on', async () => {
    const pair = createPair({ both: { rekey: false, statsIntervalMs: 100 } });
    await connect(pair);
    const fresh: SecuritySnapshot[] = [];
    pair.a.on('stats', (s) => fresh.push(s));
    pair.network.hangStats = true; // every read started in this second hangs for good
    await run(1_000);
    pair.network.hangStats = false;
    await run(3_000);
    const stuck = fresh.length;
    await run(3_000); // the hung read is given up 5 s after it started
    expect(stuck).toBe(0);
    expect(fresh.length).toBeGreaterThanOrEqual(5);
    expect(fresh.every((s) => s.generation === 0)).toBe(true);
    expect(pair.a.state).toBe('connected');
  });
});

describe('listeners that throw', () => {
  it('do not break the call nor keep later listeners from hearing the event', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('reportError', (e: unknown) => reported.push(e));
    const pair = createPair({ both: { rekey: false } });
    const later: string[] = [];
    for (const event of [
      'state',
      'security',
      'rekeystart',
      'rekey',
      'close',
      'violation',
      'stats',
    ] as const) {
      pair.a.on(event, () => {
        throw new Error(`listener of ${event}`);
      });
      pair.a.on(event, () => later.push(event));
    }
    pair.a.once('state', () => {
      throw new Error('once listener');
    });
    await connect(pair);
    const report = pair.a.rekey();
    await run(5_000);
    await expect(report).resolves.toMatchObject({ generation: 1 });
    expect(pair.b.generation).toBe(1);
    pair.a.close();
    await run(100);
    expect(pair.a.state).toBe('closed');
    expect(pair.b.state).toBe('closed');
    for (const event of ['state', 'security', 'rekeystart', 'rekey', 'close', 'stats'])
      expect(later).toContain(event);
    expect(reported.length).toBeGreaterThan(0);
    expect(reported.every((e) => e instanceof Error)).toBe(true);
    expect(reported.filter((e) => (e as Error).message === 'once listener')).toHaveLength(1);
    expect(pair.network.open('a')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
