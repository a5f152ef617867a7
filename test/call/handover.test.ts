// A re-key with playout on the (fake) WebAudio graph running the real playout processor: the
// old connection keeps playing while the new one settles, `switched` goes out when this side's
// playout moved, the old connection is retired once both sides' have, and the reports say how.
import { describe, expect, it, vi } from 'vitest';
import type { RekeyReport } from '../../src/types.js';
import { fakeAudioPlatform, type FakeAudioContext } from '../fakes/FakeAudio.js';
import { connect, createPair, type Pair } from '../fakes/harness.js';
import { noise } from '../fakes/playoutWorklet.js';
import { useFakeClock } from './setup.js';

useFakeClock();

const RATE = 48_000;
const SIGNAL = noise(5, 40 * RATE);

/** Each remote track plays the call's audio at its own lateness: 20, 35, 50 ... ms. */
function audio() {
  const late = new Map<unknown, number>();
  return fakeAudioPlatform({
    signalOf: (track) => {
      if (!late.has(track)) late.set(track, 960 + 720 * late.size);
      const d = late.get(track)!;
      return (frame) => SIGNAL[frame - d] ?? 0;
    },
  });
}

/** Runs the clock and both sides' audio in 8 ms steps. */
async function run(contexts: FakeAudioContext[], ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 8) {
    for (const c of contexts) c.render(8);
    await vi.advanceTimersByTimeAsync(8);
  }
}

function setup(): { pair: Pair; contexts: FakeAudioContext[] } {
  const sides = [audio(), audio()];
  const pair = createPair({
    a: { rekey: false, platform: sides[0] },
    b: { rekey: false, platform: sides[1] },
  });
  return { pair, contexts: sides.flatMap((s) => s.contexts) };
}

describe('a re-key heard through the playout worklet', () => {
  it('switches playout after the settling time, then retires the old connection', async () => {
    const { pair, contexts } = setup();
    await connect(pair);
    await run(contexts, 500);
    const sent: string[] = [];
    const original = pair.signaling.drop;
    pair.signaling.drop = (m, from) => {
      sent.push(String(m['kind']));
      return original(m, from);
    };
    const report = pair.a.rekey();
    await run(contexts, 1000);
    // Both connections open, the new one carrying audio, nobody switched playout yet.
    expect(pair.a.generation).toBe(1);
    expect(pair.network.open('a')).toHaveLength(2);
    expect(sent).not.toContain('switched');
    await run(contexts, 6000);
    await expect(report).resolves.toMatchObject({ generation: 1 });
    expect(sent.filter((k) => k === 'switched')).toHaveLength(2);
    for (const side of ['a', 'b'] as const) {
      expect(pair.network.open(side)).toHaveLength(1);
      const [r] = pair.of(side, 'rekey') as RekeyReport[];
      expect(r!.handover).toMatchObject({ generation: 1, method: 'aligned', shortfallMs: 0 });
      // Waited two thirds of switchMs (6 s) at least, and retired soon after.
      expect(r!.handover!.waitedMs).toBeGreaterThanOrEqual(4000);
      expect(r!.overlapMs).toBeGreaterThanOrEqual(r!.handover!.waitedMs);
      expect(r!.overlapMs).toBeLessThan(r!.handover!.waitedMs + 2500);
    }
  });

  it('with the other side’s switched lost, retires after maxOverlapMs (never before switchMs)', async () => {
    const { pair, contexts } = setup();
    await connect(pair);
    await run(contexts, 500);
    pair.signaling.drop = (m) => m['kind'] === 'switched';
    const report = pair.b.rekey();
    await run(contexts, 7000);
    expect(pair.network.open('a')).toHaveLength(2); // waiting for the lost confirmation
    await run(contexts, 6500);
    await expect(report).resolves.toMatchObject({ generation: 1 });
    expect(pair.network.open('a')).toHaveLength(1);
    expect(pair.network.open('b')).toHaveLength(1);
  });

  it(
    'a re-key asked for while the last one is switching starts once that one is done',
    { timeout: 30_000 },
    async () => {
      const { pair, contexts } = setup();
      await connect(pair);
      await run(contexts, 500);
      const first = pair.a.rekey();
      await run(contexts, 1500); // generation 1 carries audio, playout still on generation 0
      expect(pair.a.generation).toBe(1);
      const second = pair.b.rekey();
      await run(contexts, 500);
      // Not cut short: generation 2 does not exist yet, both playouts still settle on 1.
      expect(pair.network.connections('a')).toHaveLength(2);
      await run(contexts, 5000);
      await expect(first).resolves.toMatchObject({
        generation: 1,
        handover: { method: 'aligned' },
      });
      await run(contexts, 7000);
      await expect(second).resolves.toMatchObject({
        generation: 2,
        handover: { method: 'aligned' },
      });
      expect(pair.network.open('a')).toHaveLength(1);
    },
  );

  it('the old connection dying while the new one settles: the new one plays at once', async () => {
    const { pair, contexts } = setup();
    await connect(pair);
    await run(contexts, 500);
    const report = pair.a.rekey();
    await run(contexts, 1500); // generation 1 flows, playout still on 0
    const old = pair.network.connections('a')[0]!;
    (old as unknown as { fail(alone?: boolean): void }).fail();
    await run(contexts, 400);
    await expect(report).resolves.toMatchObject({
      generation: 1,
      handover: { method: 'crossfade' },
    });
    for (const side of ['a', 'b'] as const) {
      expect(pair.network.open(side)).toHaveLength(1);
      expect(pair[side].state).toBe('connected');
      expect((pair.of(side, 'close') as unknown[]).length).toBe(0);
    }
  });

  it('close() in the middle of the settling time leaves no timer and no open connection', async () => {
    const { pair, contexts } = setup();
    await connect(pair);
    await run(contexts, 500);
    void pair.a.rekey().catch(() => undefined);
    await run(contexts, 2000);
    pair.a.close();
    await run(contexts, 200);
    expect(pair.network.open('a')).toHaveLength(0);
    expect(pair.network.open('b')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
    for (const c of contexts) expect(c.state).toBe('closed');
  });
});
