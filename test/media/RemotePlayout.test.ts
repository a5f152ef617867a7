// RemotePlayout on a fake WebAudio graph that runs the real playout processor: when it switches,
// that it measures and aligns, makes room for a later generation, falls back, and cleans up.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RemotePlayout } from '../../src/media/RemotePlayout.js';
import type { Platform } from '../../src/platform.js';
import type { HandoverInfo } from '../../src/types.js';
import {
  fakeAudioPlatform,
  type FakeAudioContext,
  type FakeAudioOptions,
} from '../fakes/FakeAudio.js';
import { FakeMediaStreamTrack } from '../fakes/FakeMediaStream.js';
import { fakePlatform } from '../fakes/harness.js';
import { noise } from '../fakes/playoutWorklet.js';

const RATE = 48_000;
/** Smoothed noise: not periodic (one best offset), smooth enough to interpolate. */
const SIGNAL = (() => {
  const raw = noise(11, 60 * RATE);
  const out = new Float32Array(raw.length);
  let a = 0;
  let b = 0;
  for (let i = 0; i < raw.length; i++) {
    a += (raw[i]! - a) * 0.3;
    b += (a - b) * 0.3;
    out[i] = b * 3;
  }
  return out;
})();

/** A generation's remote audio: SIGNAL, `late(frame)` samples late (its jitter buffer). */
type Lateness = (frame: number) => number;

interface Rig {
  playout: RemotePlayout;
  context: FakeAudioContext;
  switched: number[];
  track(generation: number, late: Lateness | number): FakeMediaStreamTrack;
  /** Advances the clock and renders audio in lockstep. */
  run(ms: number): Promise<void>;
}

function rig(options: Partial<FakeAudioOptions> = {}, reserveMs?: number, speaker?: boolean): Rig {
  const lateness = new Map<FakeMediaStreamTrack, Lateness>();
  const audio = fakeAudioPlatform({
    signalOf: (track) => {
      const late = lateness.get(track) ?? (() => 0);
      return (frame) => SIGNAL[frame - Math.round(late(frame))] ?? 0;
    },
    ...options,
  });
  const platform: Platform = { ...fakePlatform(), ...audio };
  const switched: number[] = [];
  const playout = new RemotePlayout(platform, {
    onSwitched: (g) => switched.push(g),
    ...(reserveMs === undefined ? {} : { reserveMs }),
    ...(speaker === undefined ? {} : { speaker }),
  });
  const context = audio.contexts[0]!;
  return {
    playout,
    context,
    switched,
    track(generation, late) {
      const track = new FakeMediaStreamTrack('audio', `g${generation}`);
      lateness.set(track, typeof late === 'number' ? () => late : late);
      playout.add(generation, track as unknown as MediaStreamTrack);
      return track;
    },
    async run(ms) {
      for (let t = 0; t < ms; t += 8) {
        context.render(8);
        await vi.advanceTimersByTimeAsync(8);
      }
    },
  };
}

/**
 * How late the output plays SIGNAL, per 10 ms block of output frames [from, to): the best
 * integer lateness in [min, max] and its mean error.
 */
function lateness(out: number[], from: number, to: number, min = 0, max = 6000) {
  const blocks: { at: number; late: number; error: number }[] = [];
  for (let n0 = from; n0 + 480 <= to; n0 += 480) {
    let best = -1;
    let bestError = Infinity;
    for (let late = min; late <= max; late++) {
      let error = 0;
      for (let n = n0; n < n0 + 480; n += 4) error += Math.abs(out[n]! - (SIGNAL[n - late] ?? 0));
      if (error < bestError) {
        bestError = error;
        best = late;
      }
    }
    blocks.push({ at: n0, late: best, error: bestError / 120 });
  }
  return blocks;
}

/** Worst block error from 30 ms before the crossfade to its end: exact copies of SIGNAL. */
function exactAround(r: Rig, min: number, max: number): number {
  const switched = r.context.worklets[0]!.replies.find(
    (m) => (m as { type: string }).type === 'switched',
  ) as { frame: number };
  const blocks = lateness(
    r.context.output,
    switched.frame - ms(30),
    switched.frame + ms(10),
    min,
    max,
  );
  return Math.max(...blocks.map((b) => b.error));
}

/** Largest change of lateness between consecutive blocks, and the worst block error. */
function continuity(out: number[], from: number, to: number, min = 0, max = 6000) {
  const blocks = lateness(out, from, to, min, max);
  let step = 0;
  for (let i = 1; i < blocks.length; i++)
    step = Math.max(step, Math.abs(blocks[i]!.late - blocks[i - 1]!.late));
  return { step, error: Math.max(...blocks.map((b) => b.error)), blocks };
}

const ms = (m: number) => Math.round((m * RATE) / 1000);
/** Mean |SIGNAL|: a block error well under it is the signal (interpolated), not a mix or a gap. */
const LEVEL = SIGNAL.reduce((sum, v) => sum + Math.abs(v), 0) / SIGNAL.length;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.clearAllTimers();
  vi.useRealTimers();
});

describe('RemotePlayout with the AudioWorklet mixer', () => {
  it('loads the worklet module from beside the SDK, else from a blob: copy', async () => {
    const file = rig();
    await file.run(8);
    expect(file.context.modules).toEqual(['https://app.example/dist/rekey-rtc-playout.worklet.js']);
    file.playout.close();
    const missing = rig({ failModule: (url) => url.startsWith('https:') });
    await missing.run(8);
    expect(missing.context.modules).toHaveLength(1);
    expect(missing.context.modules[0]).toMatch(/^blob:/);
    expect(missing.context.worklets).toHaveLength(1);
    missing.playout.close();
  });

  it('plays the first generation as soon as the mixer is loaded', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(200);
    const tail = continuity(r.context.output, ms(100), ms(200), 900, 1000);
    expect(tail.blocks.every((b) => b.late === 960)).toBe(true);
    expect(tail.error).toBeLessThan(1e-6);
  });

  it('keeps the old generation until the offset held still, then switches aligned to the sample', async () => {
    const r = rig();
    r.track(0, 2400); // the old generation plays 50 ms late
    await r.run(500);
    r.track(1, 1440); // the new one 20 ms earlier
    await r.run(100);
    r.playout.switchTo(1, 6000);
    await r.run(3900);
    expect(r.switched).toEqual([]); // two thirds of the budget at least
    await r.run(2100);
    expect(r.switched).toEqual([1]);
    const info = r.playout.handoverOf(1)!;
    expect(info).toMatchObject<Partial<HandoverInfo>>({
      generation: 1,
      method: 'aligned',
      lagMs: 20,
      shortfallMs: 0,
    });
    expect(info.waitedMs).toBeGreaterThanOrEqual(4000);
    expect(info.waitedMs).toBeLessThan(6000);
    // Through the switch and the release of the 20 ms delay (0.5 %): never a jump.
    const heard = continuity(r.context.output, ms(400), r.context.output.length, 1300, 2600);
    expect(heard.step).toBeLessThanOrEqual(3);
    // Ramps of the delay (release, making room) interpolate: near the signal, not exact.
    expect(heard.error).toBeLessThan(0.5 * LEVEL);
    // The crossfade joins two aligned copies: exact.
    expect(exactAround(r, 1300, 2600)).toBeLessThan(1e-4);
    await r.run(5000);
    // Released: the new generation plays with no added delay.
    const end = r.context.output.length;
    expect(
      lateness(r.context.output, end - ms(50), end, 1300, 2600).every((b) => b.late === 1440),
    ).toBe(true);
  });

  it('slows the old generation down (1 %) to align a new one that plays later', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    r.track(1, 960 + 1440); // 30 ms later than the old one
    r.playout.switchTo(1, 6000);
    await r.run(6000);
    expect(r.switched).toEqual([1]);
    expect(r.playout.handoverOf(1)).toMatchObject({
      method: 'aligned',
      lagMs: -30,
      shortfallMs: 0,
    });
    const heard = continuity(r.context.output, ms(200), r.context.output.length, 800, 2600);
    expect(heard.step).toBeLessThanOrEqual(6); // 1 % of a 10 ms block is 4.8 samples
    // Ramps of the delay (release, making room) interpolate: near the signal, not exact.
    expect(heard.error).toBeLessThan(0.5 * LEVEL);
    // The crossfade joins two aligned copies: exact.
    expect(exactAround(r, 800, 2600)).toBeLessThan(1e-4);
    const end = r.context.output.length;
    expect(
      lateness(r.context.output, end - ms(50), end, 800, 2600).every((b) => b.late === 2400),
    ).toBe(true);
  });

  it('waits out a jitter buffer that keeps stretching, and switches at the end of the budget', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    // The new generation's delay grows by 5 ms every 600 ms: never still for 1.5 s.
    r.track(1, (frame) => 480 + 240 * Math.floor(frame / ms(600)));
    r.playout.switchTo(1, 6000);
    await r.run(5800);
    expect(r.switched).toEqual([]);
    await r.run(200);
    expect(r.switched).toEqual([1]);
    const info = r.playout.handoverOf(1)!;
    expect(info.method).toBe('unverified');
    expect(info.waitedMs).toBeGreaterThanOrEqual(5900);
  });

  it('keeps the last offset found when the last measurements find nothing', async () => {
    const quietFrom = ms(300 + 5500);
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    // The new generation's delay steps by 1 ms every 600 ms (never still for 1.5 s), and it goes
    // quiet for the last 400 ms of the budget.
    const track = r.track(1, (frame) => 480 + 48 * Math.floor(frame / ms(600)));
    const signalOf = r.context.options.signalOf;
    r.context.options.signalOf = (t) =>
      t === track ? (frame) => (frame > quietFrom ? 0 : signalOf(t)(frame)) : signalOf(t);
    r.playout.switchTo(1, 6000);
    await r.run(6000);
    expect(r.switched).toEqual([1]);
    const info = r.playout.handoverOf(1)!;
    expect(info.method).toBe('unverified');
    expect(info.lagMs).not.toBeNull();
    expect(info.measurements.taken).toBeGreaterThan(info.measurements.correlated);
  });

  it('at the end of the budget, a failed check looks for the offset near the last one', async () => {
    const r = rig();
    r.track(0, 2400);
    await r.run(300);
    // Never still (1 ms steps every 600 ms), then a 3 ms step after the last regular
    // measurement (5.7 s): that one is stale when the budget runs out (5.91 s).
    const stepAt = ms(300 + 5760);
    r.track(1, (frame) => 1440 - 48 * Math.floor(frame / ms(600)) - (frame >= stepAt ? 144 : 0));
    r.playout.switchTo(1, 6000);
    await r.run(6000);
    expect(r.switched).toEqual([1]);
    // Found on the audio thread, 3 ms from the last measurement, and checked there.
    const info = r.playout.handoverOf(1)!;
    expect(info).toMatchObject({ method: 'aligned', lagMs: 33, shortfallMs: 0 });
    expect(info.waitedMs).toBeGreaterThanOrEqual(5900);
    expect(exactAround(r, 700, 2600)).toBeLessThan(1e-4);
  });

  it('re-checks on the audio thread and measures again when the offset moved just before', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    // Still from the start, then a 3 ms step just before the first chance to switch (4 s, the
    // measurement at 4.2 s): too recent for the measurement, not for the check of the last 30 ms.
    const stepAt = ms(300 + 4195);
    r.track(1, (frame) => (frame < stepAt ? 480 : 624));
    r.playout.switchTo(1, 6000);
    await r.run(6000);
    expect(r.switched).toEqual([1]);
    const info = r.playout.handoverOf(1)!;
    // Refused at 4.2 s, measured again; not still for 1.5 s before the end of the budget, where
    // the check passes: aligned to the offset after the step.
    expect(info).toMatchObject({ method: 'aligned', lagMs: 7, shortfallMs: 0 });
    expect(info.waitedMs).toBeGreaterThan(5500);
    const replies = r.context.worklets[0]!.replies.map((m) => (m as { type: string }).type);
    expect(replies.filter((t) => t !== 'snapshot')).toEqual(['rejected', 'switched']);
  });

  it('crossfades at the end of the budget when there is nothing to measure (silence)', async () => {
    const r = rig({ signalOf: () => () => 0 });
    r.track(0, 0);
    await r.run(300);
    r.track(1, 0);
    r.playout.switchTo(1, 3000);
    await r.run(3000);
    expect(r.switched).toEqual([1]);
    expect(r.playout.handoverOf(1)).toMatchObject({ method: 'crossfade', lagMs: null });
  });

  it('crossfades at once over a budget too short to measure', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    r.track(1, 480);
    r.playout.switchTo(1, 100);
    await r.run(50);
    expect(r.switched).toEqual([1]);
    expect(r.playout.handoverOf(1)).toMatchObject({ method: 'crossfade' });
  });

  it('switches at once, unaligned, when the old generation is removed mid-switch', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    r.track(1, 480);
    r.playout.switchTo(1, 6000);
    await r.run(1000);
    r.playout.remove(0);
    await r.run(50);
    expect(r.switched).toEqual([1]);
    expect(r.playout.generations).toEqual([1]);
    const end = r.context.output.length;
    expect(
      lateness(r.context.output, end - ms(20), end, 0, 2000).every((b) => b.late === 480),
    ).toBe(true);
  });

  it('close() is idempotent and leaves no timer, node or context behind', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    r.track(1, 480);
    r.playout.switchTo(1, 6000);
    await r.run(1000);
    r.playout.close();
    r.playout.close();
    await vi.advanceTimersByTimeAsync(10); // the fake worklet's message deliveries
    expect(vi.getTimerCount()).toBe(0);
    expect(r.context.state).toBe('closed');
    expect(r.context.sources.every((s) => s.connections.length === 0)).toBe(true);
    expect(r.context.worklets.every((w) => w.connections.length === 0)).toBe(true);
    expect(r.playout.generations).toEqual([]);
  });
});

describe('RemotePlayout without the worklet', () => {
  for (const [name, options] of [
    ['a CSP that blocks the module', { failModule: true }],
    ['a browser without AudioWorklet', { noWorklet: true }],
  ] as const) {
    it(`mixes through gain nodes under ${name}: plays the first, crossfades unaligned`, async () => {
      const r = rig(options);
      r.track(0, 960);
      await r.run(300);
      let heard = continuity(r.context.output, ms(100), ms(300), 900, 1000);
      expect(heard.blocks.every((b) => b.late === 960)).toBe(true);
      r.track(1, 480);
      r.playout.switchTo(1, 3000);
      await r.run(3000);
      expect(r.switched).toEqual([1]);
      expect(r.playout.handoverOf(1)).toMatchObject({ method: 'crossfade' });
      const end = r.context.output.length;
      heard = continuity(r.context.output, end - ms(50), end, 0, 1000);
      expect(heard.blocks.every((b) => b.late === 480)).toBe(true);
    });
  }

  it('falls back to gain nodes when the processor fails, keeping the active generation', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    r.context.worklets[0]!.onprocessorerror?.();
    await r.run(100);
    const end = r.context.output.length;
    expect(
      lateness(r.context.output, end - ms(50), end, 900, 1000).every((b) => b.late === 960),
    ).toBe(true);
  });
});

describe('RemotePlayout playing to the speaker itself', () => {
  for (const [name, options] of [
    ['the worklet mixer', {}],
    ['gain nodes', { noWorklet: true }],
  ] as const) {
    it(`through ${name}: the mix goes to the context's output as well as into the stream`, async () => {
      const r = rig(options, undefined, true);
      r.track(0, 960);
      await r.run(300);
      r.track(1, 480);
      r.playout.switchTo(1, 3000);
      await r.run(3000);
      expect(r.switched).toEqual([1]);
      const feeds = (target: unknown) =>
        [...r.context.worklets, ...r.context.gains].filter((n) =>
          n.connections.some((c) => c.target === target),
        );
      // Whatever feeds the speaker feeds the stream too: both play the same mix.
      const speaker = feeds(r.context.destination);
      expect(speaker.length).toBeGreaterThan(0);
      for (const node of speaker)
        expect(node.connections.map((c) => c.target)).toContain(r.context.destinationNode);
      // The mix itself is what it is without the speaker: aligned, or the new one after a fade.
      if (r.context.worklets.length > 0) {
        expect(r.playout.handoverOf(1)).toMatchObject({ method: 'aligned' });
        expect(exactAround(r, 900, 1000)).toBeLessThan(LEVEL / 10);
      } else {
        const end = r.context.output.length;
        const heard = continuity(r.context.output, end - ms(50), end, 0, 1000);
        expect(heard.blocks.every((b) => b.late === 480)).toBe(true);
      }
      r.playout.close();
      for (const node of speaker) expect(node.connections).toHaveLength(0);
    });
  }

  it('not unless asked: by default nothing reaches the context output', async () => {
    const r = rig();
    r.track(0, 960);
    await r.run(300);
    const all = [...r.context.worklets, ...r.context.gains, ...r.context.sources];
    expect(all.some((n) => n.connections.some((c) => c.target === r.context.destination))).toBe(
      false,
    );
    expect(r.context.reaches(r.context.worklets[0]!, r.context.destinationNode)).toBe(true);
  });

  it('without WebAudio, plays each generation in an element of its own, one at a time', () => {
    const playing: string[] = [];
    const platform: Platform = {
      ...fakePlatform(),
      playAudible: (track) => {
        playing.push(track.id);
        return () => playing.splice(playing.indexOf(track.id), 1);
      },
    };
    const playout = new RemotePlayout(platform, { speaker: true });
    const a = new FakeMediaStreamTrack('audio', 'a') as unknown as MediaStreamTrack;
    const b = new FakeMediaStreamTrack('audio', 'b') as unknown as MediaStreamTrack;
    playout.add(0, a);
    expect(playing).toEqual([a.id]);
    playout.add(1, b);
    expect(playing).toEqual([a.id]);
    playout.switchTo(1, 6000);
    expect(playing).toEqual([b.id]);
    playout.close();
    playout.close();
    expect(playing).toEqual([]);
  });
});

describe('RemotePlayout without WebAudio', () => {
  it('swaps the tracks of the stream and reports the switch at once', () => {
    const platform: Platform = { ...fakePlatform() };
    const switched: number[] = [];
    const playout = new RemotePlayout(platform, { onSwitched: (g) => switched.push(g) });
    const a = new FakeMediaStreamTrack('audio', 'a') as unknown as MediaStreamTrack;
    const b = new FakeMediaStreamTrack('audio', 'b') as unknown as MediaStreamTrack;
    playout.add(0, a);
    expect(playout.stream.getAudioTracks()).toEqual([a]);
    playout.add(1, b);
    playout.switchTo(1, 6000);
    expect(playout.stream.getAudioTracks()).toEqual([b]);
    expect(switched).toEqual([1]);
    expect(playout.handoverOf(1)).toMatchObject({ method: 'swap' });
  });
});
