import { describe, expect, it } from 'vitest';
import type { RekeyFailure, RekeyReport } from '../../src/types.js';
import { connect, createPair, run, seeded, type Pair } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

const kind = (k: string) => (m: Record<string, unknown>) => m['kind'] === k;

/** Drops the first `n` messages matching `match`. */
function dropFirst(pair: Pair, n: number, match: (m: Record<string, unknown>) => boolean): void {
  let left = n;
  pair.signaling.drop = (m) => {
    if (left > 0 && match(m)) {
      left -= 1;
      return true;
    }
    return false;
  };
}

async function rekeyOnce(pair: Pair, side: 'a' | 'b' = 'a', ms = 10_000): Promise<RekeyReport> {
  const report = pair[side].rekey();
  await run(ms);
  return report;
}

function expectOneRekeyEach(pair: Pair, generation: number): void {
  expect(pair.of('a', 'rekey')).toHaveLength(generation);
  expect(pair.of('b', 'rekey')).toHaveLength(generation);
  expect(pair.a.generation).toBe(generation);
  expect(pair.b.generation).toBe(generation);
  expect(pair.network.open('a')).toHaveLength(1);
  expect(pair.network.open('b')).toHaveLength(1);
}

describe('re-key protocol: loss', () => {
  it.each([
    ['hello', 3],
    ['hello-ack', 2],
    ['offer', 2],
    ['answer', 2],
  ])('connects when the first %s messages (x%i) are lost, by resending', async (lost, n) => {
    const pair = createPair({ both: { rekey: false } });
    dropFirst(pair, n, kind(lost));
    await connect(pair);
    expect(pair.signaling.sent({ kind: lost, delivered: false })).toHaveLength(n);
    expect(pair.signaling.sent({ kind: lost, delivered: true }).length).toBeGreaterThanOrEqual(1);
    // One connection per side was built, whatever was resent.
    expect(pair.network.connections('a')).toHaveLength(1);
    expect(pair.network.connections('b')).toHaveLength(1);
    expect(pair.of('a', 'error')).toEqual([]);
    expect(pair.of('b', 'error')).toEqual([]);
  });

  it.each(['offer', 'answer', 'rekey-request'])(
    'a re-key survives the loss of its first %s messages',
    async (lost) => {
      const pair = createPair({ both: { rekey: false } });
      await connect(pair);
      dropFirst(pair, 2, kind(lost));
      await expect(rekeyOnce(pair, 'b')).resolves.toMatchObject({
        generation: 1,
        reason: 'manual',
      });
      expectOneRekeyEach(pair, 1);
      expect(pair.network.connections('a')).toHaveLength(2);
      expect(pair.network.connections('b')).toHaveLength(2);
    },
  );

  it('a lost answer is answered again with the cached answer, not a new connection', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    dropFirst(pair, 1, (m) => m['kind'] === 'answer' && m['generation'] === 1);
    await rekeyOnce(pair);
    const answers = pair.signaling
      .sent({ kind: 'answer' })
      .filter((t) => t.message['generation'] === 1);
    expect(answers).toHaveLength(2);
    expect(answers[1]!.message['sdp']).toBe(answers[0]!.message['sdp']);
    expect(answers[1]!.message['attempt']).toBe(answers[0]!.message['attempt']);
    expectOneRekeyEach(pair, 1);
  });

  it('a lost switched message delays retirement to maxOverlapMs but completes', async () => {
    const pair = createPair({
      both: { rekey: { intervalMs: 1_000_000, maxOverlapMs: 3_000, switchMs: 1_000 } },
    });
    await connect(pair);
    pair.signaling.drop = kind('switched');
    const report = await rekeyOnce(pair);
    expect(report.overlapMs).toBeGreaterThanOrEqual(3_000);
    expect(report.overlapMs).toBeLessThan(3_500);
    expectOneRekeyEach(pair, 1);
  });
});

describe('re-key protocol: duplicates and reordering', () => {
  it('every message delivered twice: one connection per generation, one rekey per side', async () => {
    const pair = createPair({ both: { rekey: false } });
    pair.signaling.duplicate = () => true;
    await connect(pair);
    for (let g = 1; g <= 3; g++) await rekeyOnce(pair, g % 2 ? 'a' : 'b');
    expectOneRekeyEach(pair, 3);
    expect(pair.network.connections('a')).toHaveLength(4);
    expect(pair.network.connections('b')).toHaveLength(4);
    // Duplicate offers were answered with the cached answer.
    for (let g = 0; g <= 3; g++) {
      const sdps = new Set(
        pair.signaling
          .sent({ kind: 'answer' })
          .filter((t) => t.message['generation'] === g)
          .map((t) => t.message['sdp']),
      );
      expect(sdps.size).toBe(1);
    }
    expect(pair.of('a', 'error')).toEqual([]);
    expect(pair.of('b', 'error')).toEqual([]);
  });

  it('random reordering (0-300 ms extra delay per message) with duplicates still converges', async () => {
    const rng = seeded(7);
    const pair = createPair({ both: { rekey: { intervalMs: 4_000 } } });
    pair.signaling.extraDelayMs = () => Math.floor(rng() * 300);
    pair.signaling.duplicate = () => rng() < 0.3;
    await connect(pair);
    await run(60_000);
    expect(pair.a.generation).toBeGreaterThanOrEqual(8);
    expect(pair.b.generation).toBe(pair.a.generation);
    expect(pair.of('a', 'rekey')).toHaveLength(pair.a.generation);
    expect(pair.of('b', 'rekey')).toHaveLength(pair.b.generation);
    expect(pair.network.open('a').length).toBeLessThanOrEqual(2);
    expect(pair.of('a', 'close')).toEqual([]);
  });

  it('an answer overtaken by the switched message still completes', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    pair.signaling.extraDelayMs = (m) => (m['kind'] === 'answer' ? 200 : 0);
    await rekeyOnce(pair);
    expectOneRekeyEach(pair, 1);
  });
});

describe('re-key protocol: stale generations', () => {
  it('replayed messages of earlier generations are ignored', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    await rekeyOnce(pair);
    await rekeyOnce(pair, 'b');
    expectOneRekeyEach(pair, 2);
    const before = {
      a: pair.network.connections('a').length,
      b: pair.network.connections('b').length,
    };
    // Replay every message of generations 0 and 1 (except bye) to both sides.
    for (const t of pair.signaling.tap.filter(
      (t) => (t.message['generation'] as number) < 2 && t.message['kind'] !== 'bye',
    )) {
      pair[t.to].receive(t.message);
    }
    await run(20_000);
    expect(pair.a.state).toBe('connected');
    expect(pair.b.state).toBe('connected');
    expectOneRekeyEach(pair, 2);
    expect(pair.network.connections('a')).toHaveLength(before.a);
    expect(pair.network.connections('b')).toHaveLength(before.b);
    expect(pair.of('a', 'rekeyfailed')).toEqual([]);
    expect(pair.of('b', 'rekeyfailed')).toEqual([]);
  });

  it('a late offer of a failed (aborted) attempt does not replace the retry of the same generation', async () => {
    const pair = createPair({
      both: { rekey: { intervalMs: 1_000_000, timeoutMs: 2_000, retryBaseMs: 1_000 } },
      randomFraction: 0.5,
    });
    await connect(pair);
    pair.network.connectDelayMs = 1_000; // the retry is still connecting when the late offer lands
    let first: string | null = null;
    pair.signaling.extraDelayMs = (m) => {
      if (m['kind'] !== 'offer' || m['generation'] !== 1) return 0;
      first ??= m['attempt'] as string;
      return m['attempt'] === first ? 3_000 : 0;
    };
    const t0 = Date.now();
    void pair.a.rekey().catch(() => undefined);
    await run(20_000);
    // The first attempt timed out at t0 + 2 s (its offer was still on the way); the retry at
    // t0 + 2.75 s connects at about t0 + 3.8 s although the first offer arrives at t0 + 3 s.
    expect(pair.of('a', 'rekeyfailed')).toMatchObject([{ code: 'timeout', attempt: 1 }]);
    expect(pair.signaling.sent({ kind: 'abort', from: 'a' })).toHaveLength(1);
    expect(pair.signaling.sent({ kind: 'abort', from: 'a' })[0]!.at - t0).toBeLessThan(2_100);
    expect(pair.of('b', 'rekeyfailed')).toEqual([]);
    expectOneRekeyEach(pair, 1);
    expect(
      pair.signaling.sent({ kind: 'answer' }).filter((t) => t.message['attempt'] === first),
    ).toEqual([]);
  });
});

describe('re-key protocol: glare', () => {
  it('both schedules firing at the same instant give exactly one re-key', async () => {
    const pair = createPair({ both: { rekey: { intervalMs: 10_000 } } });
    await connect(pair);
    await run(10_000 + 2_000);
    expect(pair.of('a', 'rekeystart')).toEqual([{ generation: 1, reason: 'interval' }]);
    expect(pair.of('b', 'rekeystart')).toEqual([{ generation: 1, reason: 'interval' }]);
    expectOneRekeyEach(pair, 1);
    expect(pair.of('a', 'rekey')).toMatchObject([{ generation: 1, reason: 'interval' }]);
    expect(pair.of('b', 'rekey')).toMatchObject([{ generation: 1, reason: 'interval' }]);
    expect(
      pair.signaling.sent({ kind: 'offer' }).filter((t) => t.message['generation'] === 1),
    ).toHaveLength(1);
  });

  it.each([
    ['chrome', 'chrome'],
    ['chrome', 'firefox'],
  ] as const)(
    'both sides calling rekey() at once (%s/%s) give exactly one re-key',
    async (ea, eb) => {
      const pair = createPair({ engines: [ea, eb], both: { rekey: false } });
      await connect(pair);
      const reports = Promise.all([pair.a.rekey(), pair.b.rekey()]);
      await run(10_000);
      const [ra, rb] = await reports;
      expect(ra.generation).toBe(1);
      expect(rb.generation).toBe(1);
      expectOneRekeyEach(pair, 1);
      expect(pair.of('a', 'rekey')).toMatchObject([{ reason: 'manual' }]);
      expect(pair.of('b', 'rekey')).toMatchObject([{ reason: 'manual' }]);
      expect(pair.of('a', 'rekeystart')).toEqual([{ generation: 1, reason: 'manual' }]);
      expect(pair.of('b', 'rekeystart')).toEqual([{ generation: 1, reason: 'manual' }]);
      expect(pair.of('a', 'rekeyfailed')).toEqual([]);
      expect(pair.of('b', 'rekeyfailed')).toEqual([]);
    },
  );

  it('glare with a 200 ms signaling delay still gives exactly one re-key', async () => {
    const pair = createPair({ both: { rekey: false } });
    pair.signaling.delayMs = 200;
    await connect(pair);
    const reports = Promise.all([pair.a.rekey(), pair.b.rekey()]);
    await run(10_000);
    await reports;
    expectOneRekeyEach(pair, 1);
  });

  it('rekey() during a re-key joins it', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    const first = pair.a.rekey();
    await run(10);
    const second = pair.a.rekey();
    const third = pair.b.rekey();
    await run(10_000);
    const [r1, r2, r3] = await Promise.all([first, second, third]);
    expect(r2).toBe(r1);
    expect(r3.generation).toBe(1);
    expectOneRekeyEach(pair, 1);
  });
});

describe('re-key protocol: failures', () => {
  it.each(['a', 'b'] as const)(
    'all offers of the re-key lost (started by %s): rekeyfailed timeout, call stays on generation 0, retry succeeds',
    async (starter) => {
      const pair = createPair({
        both: { rekey: { intervalMs: 1_000_000, timeoutMs: 5_000, retryBaseMs: 2_000 } },
      });
      await connect(pair);
      pair.signaling.drop = (m) => m['kind'] === 'offer' && m['generation'] === 1;
      const rekey = pair[starter].rekey();
      const rejected = expect(rekey).rejects.toMatchObject({ code: 'negotiation-failed' });
      await run(5_000 + 50); // the side answering a request starts its clock one hop later
      await rejected;
      const failures = pair.of(starter, 'rekeyfailed') as RekeyFailure[];
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({
        generation: 1,
        reason: 'manual',
        code: 'timeout',
        attempt: 1,
      });
      for (const side of ['a', 'b'] as const) {
        expect(pair[side].state).toBe('connected');
        expect(pair[side].generation).toBe(0);
        expect(pair.network.open(side)).toHaveLength(1);
      }
      // b never got an offer: when a started, b has nothing to report.
      if (starter === 'a') expect(pair.of('b', 'rekeyfailed')).toEqual([]);
      pair.signaling.drop = () => false;
      await run(failures[0]!.retryInMs! + 2_000);
      expectOneRekeyEach(pair, 1);
      expect(pair.of(starter, 'rekey')).toMatchObject([{ generation: 1, reason: 'manual' }]);
    },
  );

  it('only the side that started a failed re-key retries it; the other reports without retrying', async () => {
    const pair = createPair({
      both: { rekey: { intervalMs: 1_000_000, timeoutMs: 5_000, retryBaseMs: 2_000 } },
    });
    await connect(pair);
    // Every answer of generation 1 is lost: both sides hold the attempt until it times out.
    pair.signaling.drop = (m) => m['kind'] === 'answer' && m['generation'] === 1;
    const rekey = pair.a.rekey();
    const rejected = expect(rekey).rejects.toMatchObject({ code: 'negotiation-failed' });
    await run(6_000);
    await rejected;
    const started = pair.of('a', 'rekeyfailed') as RekeyFailure[];
    const other = pair.of('b', 'rekeyfailed') as RekeyFailure[];
    expect(started).toHaveLength(1);
    expect(started[0]!.retryInMs).toBeGreaterThan(0);
    expect(other.length).toBeLessThanOrEqual(1);
    for (const failure of other)
      expect(failure).toMatchObject({ reason: 'remote', retryInMs: null });
    pair.signaling.drop = () => false;
    await run(started[0]!.retryInMs! + 2_000);
    expectOneRekeyEach(pair, 1);
  });

  it('a new connection that connects but carries no audio times out and is closed', async () => {
    const pair = createPair({ both: { rekey: { intervalMs: 1_000_000, timeoutMs: 3_000 } } });
    await connect(pair);
    const firstA = pair.network.open('a')[0]!;
    pair.network.mediaFlows = (pc) => pc.serial <= firstA.serial + 1;
    const failed = expect(pair.a.rekey()).rejects.toMatchObject({ code: 'negotiation-failed' });
    await run(3_500);
    await failed;
    expect(pair.of('a', 'rekeyfailed')).toMatchObject([{ code: 'timeout', generation: 1 }]);
    expect(pair.a.generation).toBe(0);
    expect(pair.network.open('a')).toEqual([firstA]);
    expect(pair.network.open('b')).toHaveLength(1);
  });

  it('the old connection failing during a re-key: the new one takes over', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    const [oldA] = pair.network.open('a');
    pair.network.connectDelayMs = 500;
    const report = pair.a.rekey();
    await run(100);
    expect(pair.a.state).toBe('rekeying');
    oldA!.fail();
    await run(5_000);
    await expect(report).resolves.toMatchObject({ generation: 1, reason: 'manual' });
    expectOneRekeyEach(pair, 1);
    expect(pair.a.state).toBe('connected');
    expect(pair.of('a', 'rekeyfailed')).toEqual([]);
  });

  it('the old connection failing after the new one connected, before audio: the new one takes over', async () => {
    const pair = createPair({ both: { rekey: { intervalMs: 1_000_000, timeoutMs: 10_000 } } });
    await connect(pair);
    const [oldA] = pair.network.open('a');
    pair.network.mediaStartDelayMs = 5_000; // the new connection is up long before audio shows
    const report = pair.a.rekey();
    await run(300);
    expect(pair.a.state).toBe('rekeying');
    oldA!.fail();
    await run(1_000);
    await expect(report).resolves.toMatchObject({ generation: 1 });
    expectOneRekeyEach(pair, 1);
    expect(pair.of('a', 'rekeyfailed')).toEqual([]);
  });

  it('the current connection failing with no re-key under way starts a recovery re-key', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    pair.network.open('a')[0]!.fail();
    await run(5_000);
    expectOneRekeyEach(pair, 1);
    expect(pair.of('a', 'rekey')).toMatchObject([{ generation: 1, reason: 'recovery' }]);
    expect(pair.of('b', 'rekey')).toMatchObject([{ generation: 1, reason: 'recovery' }]);
    expect(pair.a.state).toBe('connected');
  });

  it('only one side seeing the failure: it recovers, the other side reports remote', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    pair.network.open('b')[0]!.fail(true);
    await run(5_000);
    expectOneRekeyEach(pair, 1);
    expect(pair.of('b', 'rekey')).toMatchObject([{ reason: 'recovery' }]);
    expect(pair.of('a', 'rekey')).toMatchObject([{ reason: 'remote' }]);
  });

  it('recovery that keeps failing ends the call as connection-failed', async () => {
    const pair = createPair({
      both: { rekey: { intervalMs: 1_000_000, timeoutMs: 2_000, retryBaseMs: 500 } },
    });
    await connect(pair);
    pair.network.connectable = () => false;
    pair.network.open('a')[0]!.fail();
    await run(60_000);
    for (const side of ['a', 'b'] as const) {
      expect(pair[side].state).toBe('failed');
      expect(pair.of(side, 'close')).toMatchObject([{ reason: 'connection-failed' }]);
      expect(pair.network.open(side)).toEqual([]);
    }
  });
});

describe('rekey report', () => {
  it('carries generation, reasons, timings and new fingerprints on both sides', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    await run(2_000);
    const before = { a: pair.a.security!, b: pair.b.security! };
    await rekeyOnce(pair, 'b');
    const [ra] = pair.of('a', 'rekey') as RekeyReport[];
    const [rb] = pair.of('b', 'rekey') as RekeyReport[];
    expect(rb).toMatchObject({ generation: 1, reason: 'manual' });
    expect(ra).toMatchObject({ generation: 1, reason: 'remote' });
    for (const [report, side] of [
      [ra!, 'a'],
      [rb!, 'b'],
    ] as const) {
      expect(report.handshakeMs).toBeGreaterThanOrEqual(0);
      expect(report.overlapMs).toBeGreaterThanOrEqual(0);
      expect(report.previousFingerprint).toBe(before[side].localFingerprint);
      expect(report.fingerprint).toMatch(/^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
      expect(report.fingerprint).not.toBe(report.previousFingerprint);
      expect(report.remoteFingerprint).not.toBe(report.previousRemoteFingerprint);
      expect(report.snapshot.generation).toBe(1);
      expect(report.snapshot.localFingerprint).toBe(report.fingerprint);
      expect(pair[side].security).toMatchObject({
        generation: 1,
        localFingerprint: report.fingerprint,
      });
    }
    expect(ra!.fingerprint).toBe(rb!.remoteFingerprint);
    expect(rb!.fingerprint).toBe(ra!.remoteFingerprint);
    // With a 30 ms ICE+DTLS and 10 ms signaling, the handshake is tens of ms, not seconds.
    expect(ra!.handshakeMs).toBeLessThan(500);
    expect(pair.of('a', 'rekeystart')).toEqual([{ generation: 1, reason: 'remote' }]);
  });
});
