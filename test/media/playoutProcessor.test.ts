// The audio-thread mixer: sample-exact delays, aligned switches, the check before a switch, the
// delay release, and that its source text runs on its own (as the worklet module does).
import { describe, expect, it } from 'vitest';
import { bestLag } from '../../src/media/bestLag.js';
import { playoutProcessorSource, type PlayoutReply } from '../../src/media/playoutProcessor.js';
import { noise, ProcessorRig, QUANTUM } from '../fakes/playoutWorklet.js';

const RATE = 48_000;
const SIGNAL = noise(7, 4 * RATE);
/** The call's audio as generation g hears it: the signal, `late` samples late. */
const heard = (late: number) => (frame: number) => SIGNAL[frame - late] ?? 0;

/** Largest |output - signal played `late` late| over output frames [from, to). */
function error(
  rig: ProcessorRig,
  late: number,
  from: number,
  to: number,
  signal: Float32Array = SIGNAL,
): number {
  let worst = 0;
  for (let n = from; n < to; n++)
    worst = Math.max(worst, Math.abs(rig.output[0]![n]! - (signal[n - late] ?? 0)));
  return worst;
}

/** What RemotePlayout does: snapshot both slots and correlate. */
function measure(rig: ProcessorRig, from: number, to: number): number | null {
  rig.send({ type: 'snapshot', id: 1, slot: from, other: to, length: 14_880 });
  const reply = rig.replies.at(-1) as Extract<PlayoutReply, { type: 'snapshot' }>;
  expect(reply).toMatchObject({ type: 'snapshot', id: 1, frame: rig.frame });
  return bestLag(reply.a, reply.b, 3840);
}

describe('playout processor', () => {
  it('plays the active slot alone, exactly `delay` samples late, on both channels', () => {
    const rig = new ProcessorRig([heard(100), heard(300), () => null]);
    rig.send({ type: 'play', slot: 0, delay: 480 });
    rig.render(100);
    expect(error(rig, 100 + 480, 0, 100 * QUANTUM)).toBe(0);
    expect(rig.output[1]).toEqual(rig.output[0]);
  });

  it('is silent until told what to play, and treats a missing input as silence', () => {
    const rig = new ProcessorRig([heard(0), () => null, () => null]);
    rig.render(10);
    expect(rig.output[0]!.every((v) => v === 0)).toBe(true);
    rig.send({ type: 'play', slot: 1, delay: 0 });
    rig.render(10);
    expect(rig.output[0]!.every((v) => v === 0)).toBe(true);
  });

  for (const [name, oldLate, newLate, reserve] of [
    ['a new generation that plays earlier', 2400, 1500, 0],
    ['a new generation that plays later, within the reserve', 1500, 2400, 1440],
  ] as const) {
    it(`switches to ${name} without a skip or repeat`, () => {
      const rig = new ProcessorRig([heard(oldLate), heard(newLate), () => null]);
      rig.send({ type: 'play', slot: 0, delay: reserve });
      rig.render(300);
      const lag = measure(rig, 0, 1);
      expect(lag).toBe(oldLate - newLate);
      const switchedAt = rig.frame;
      rig.send({
        type: 'switch',
        from: 0,
        slot: 1,
        lag,
        verify: true,
        fade: 480,
        reserve,
        // No release here, so that "the same timeline" holds to the sample (tested below).
        rate: 0,
      });
      expect(rig.replies.at(-1)).toEqual({
        type: 'switched',
        frame: switchedAt,
        delay: reserve + lag!,
        shortfall: 0,
        verified: true,
        lag,
      });
      rig.render(20);
      // Before, through and after the fade: the same timeline, to the sample.
      expect(error(rig, oldLate + reserve, 0, rig.frame)).toBeLessThan(1e-6);
    });
  }

  it('gives the alignment delay back at the release rate, without a jump', () => {
    const rig = new ProcessorRig([heard(2400), heard(1440), () => null]);
    rig.send({ type: 'play', slot: 0, delay: 0 });
    rig.render(300);
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: 960,
      verify: true,
      fade: 480,
      reserve: 0,
      rate: 0.01,
    });
    // 960 samples of delay at 1 % take 96,000 samples (2 s) after the 480-sample fade.
    rig.render(Math.ceil((480 + 96_000 + 2000) / QUANTUM));
    const start = 300 * QUANTUM;
    const end = rig.frame;
    // Aligned through the fade; then ahead of the old timeline by at most 1 % of the time spent.
    expect(error(rig, 2400, start, start + 480)).toBeLessThan(1e-6);
    let steps = 0;
    let previous = 0;
    for (let n = start + 480; n < end; n += 480) {
      const block = rig.output[0]!.slice(n, n + 480);
      // Find how late the output is, near the old timeline.
      const lateness = [...Array(1000).keys()]
        .map((k) => 1440 + k)
        .find((late) => block.every((v, i) => Math.abs(v - (SIGNAL[n + i - late] ?? 0)) < 0.2));
      if (lateness === undefined) continue;
      if (previous && Math.abs(lateness - previous) > 6) steps += 1;
      previous = lateness;
    }
    expect(steps).toBe(0);
    // Fully released: the new generation plays with no added delay.
    expect(error(rig, 1440, end - 2000, end)).toBeLessThan(1e-6);
  });

  it('reports a shortfall when a later generation is beyond the reserve, and still switches', () => {
    const rig = new ProcessorRig([heard(1000), heard(1600), () => null]);
    rig.send({ type: 'play', slot: 0, delay: 240 });
    rig.render(300);
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: -600,
      verify: true,
      fade: 240,
      reserve: 240,
      rate: 0,
    });
    expect(rig.replies.at(-1)).toMatchObject({ type: 'switched', delay: 0, shortfall: 360 });
    rig.render(10);
    expect(error(rig, 1600, rig.frame - 640, rig.frame)).toBeLessThan(1e-6);
  });

  it('refuses a checked switch whose offset no longer holds, and keeps playing the old slot', () => {
    const rig = new ProcessorRig([heard(1000), heard(500), () => null]);
    rig.send({ type: 'play', slot: 0, delay: 0 });
    rig.render(300);
    // Measured 500, but the new generation's jitter buffer moved by 120 since.
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: 620,
      verify: true,
      fade: 480,
      reserve: 0,
      rate: 0.005,
    });
    expect(rig.replies.at(-1)).toEqual({ type: 'rejected', frame: 300 * QUANTUM });
    rig.render(20);
    expect(error(rig, 1000, 0, rig.frame)).toBe(0);
    // Unchecked, it switches anyway (the end of the budget).
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: 620,
      verify: false,
      fade: 480,
      reserve: 0,
      rate: 0.005,
    });
    expect(rig.replies.at(-1)).toMatchObject({ type: 'switched' });
  });

  describe('out of time, a switch whose check fails looks for the offset near the one asked for', () => {
    /** Three unrelated tones and a little noise: narrow-band, and not periodic within the search. */
    const TONES = Float32Array.from(
      SIGNAL,
      (v, n) =>
        0.4 * Math.sin((2 * Math.PI * 220 * n) / RATE) +
        0.3 * Math.sin((2 * Math.PI * 347 * n) / RATE + 1) +
        0.2 * Math.sin((2 * Math.PI * 513 * n) / RATE + 2) +
        0.05 * v,
    );
    const outOfTime = (lag: number, force: boolean) => ({
      type: 'switch',
      from: 0,
      slot: 1,
      lag,
      verify: true,
      search: 240,
      force,
      fade: 480,
      reserve: 0,
      rate: 0,
    });
    // Offsets where the check itself fails: in low tones, one a few samples off still matches.
    for (const [name, signal, offsets] of [
      ['white noise (a match one sample wide)', SIGNAL, [-231, -3, 1, 2, 97, 240]],
      ['low tones (a match tens of samples wide)', TONES, [-231, -40, 97, 240]],
    ] as const) {
      for (const off of offsets) {
        it(`finds it ${off} samples from the one asked for, in ${name}, and switches on it`, () => {
          const rig = new ProcessorRig([
            (frame) => signal[frame - 1000] ?? 0,
            (frame) => signal[frame - 500] ?? 0,
            () => null,
          ]);
          rig.send({ type: 'play', slot: 0, delay: 0 });
          rig.render(300);
          rig.send(outOfTime(500 + off, false));
          expect(rig.replies.at(-1)).toEqual({
            type: 'switched',
            frame: 300 * QUANTUM,
            delay: 500,
            shortfall: 0,
            verified: true,
            lag: 500,
          });
          rig.render(20);
          expect(error(rig, 1000, 0, rig.frame, signal)).toBeLessThan(1e-6);
        });
      }
    }

    it('beyond the search, refuses the switch, or makes it unverified when forced', () => {
      const rig = new ProcessorRig([heard(1000), heard(500), () => null]);
      rig.send({ type: 'play', slot: 0, delay: 0 });
      rig.render(300);
      rig.send(outOfTime(500 + 241, false));
      expect(rig.replies.at(-1)).toEqual({ type: 'rejected', frame: 300 * QUANTUM });
      rig.send(outOfTime(500 - 241, true));
      expect(rig.replies.at(-1)).toMatchObject({ type: 'switched', verified: false, lag: 259 });
    });
  });

  it('accepts any alignment of silence', () => {
    const rig = new ProcessorRig([() => 0, () => 0, () => null]);
    rig.send({ type: 'play', slot: 0, delay: 0 });
    rig.render(10);
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: 77,
      verify: true,
      fade: 48,
      reserve: 0,
      rate: 0,
    });
    expect(rig.replies.at(-1)).toMatchObject({ type: 'switched', delay: 77 });
  });

  it('ignores a duplicate switch, unknown slots and malformed commands', () => {
    const rig = new ProcessorRig([heard(900), heard(400), () => null]);
    rig.send({ type: 'play', slot: 0, delay: 0 });
    rig.render(300);
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: 500,
      verify: true,
      fade: 480,
      reserve: 0,
      rate: 0,
    });
    const count = rig.replies.length;
    rig.send({
      type: 'switch',
      from: 0,
      slot: 1,
      lag: null,
      verify: false,
      fade: 5,
      reserve: 0,
      rate: 0,
    });
    rig.send({
      type: 'switch',
      from: 0,
      slot: 9,
      lag: 0,
      verify: false,
      fade: 5,
      reserve: 0,
      rate: 0,
    });
    rig.send({ type: 'play', slot: -1, delay: 0 });
    rig.send({ type: 'bogus' });
    rig.send(null as unknown as Record<string, unknown>);
    expect(rig.replies.length).toBe(count);
    rig.render(10);
    expect(error(rig, 900, 0, rig.frame)).toBeLessThan(1e-6);
  });

  it('fills the arrays handed back instead of allocating new ones', () => {
    const rig = new ProcessorRig([heard(100), heard(300), () => null]);
    rig.render(100);
    const buffers: [ArrayBuffer, ArrayBuffer] = [
      new ArrayBuffer(8000 * 4),
      new ArrayBuffer(8000 * 4),
    ];
    rig.send({ type: 'snapshot', id: 3, slot: 0, other: 1, length: 6000, buffers });
    const reply = rig.replies.at(-1) as Extract<PlayoutReply, { type: 'snapshot' }>;
    expect(reply.a.buffer).toBe(buffers[0]);
    expect(reply.b.buffer).toBe(buffers[1]);
    expect(reply.a.length).toBe(6000);
    expect(bestLag(reply.a, reply.b, 1000)).toBe(-200);
    // Too small for the request: a new array.
    rig.send({ type: 'snapshot', id: 4, slot: 0, other: 1, length: 9000, buffers });
    const bigger = rig.replies.at(-1) as Extract<PlayoutReply, { type: 'snapshot' }>;
    expect(bigger.a.buffer).not.toBe(buffers[0]);
    expect(bigger.a.length).toBe(9000);
  });

  it('clears a slot: its old audio does not leak into the next generation that takes it', () => {
    const rig = new ProcessorRig([heard(0), heard(0), () => null]);
    rig.send({ type: 'play', slot: 1, delay: 0 });
    rig.render(50);
    rig.send({ type: 'clear', slot: 1 });
    rig.inputs[1] = () => 0;
    rig.send({ type: 'snapshot', id: 2, slot: 1, other: 0, length: 4096 });
    const reply = rig.replies.at(-1) as Extract<PlayoutReply, { type: 'snapshot' }>;
    expect(reply.a.every((v) => v === 0)).toBe(true);
    expect(reply.b.some((v) => v !== 0)).toBe(true);
    rig.render(5);
    // The cleared slot no longer plays.
    expect(rig.output[0]!.slice(-QUANTUM).every((v) => v === 0)).toBe(true);
  });

  it('has source text that registers the processor on its own (the worklet module)', () => {
    let registered = '';
    const scope = {
      AudioWorkletProcessor: class {
        port = { onmessage: null, postMessage: () => undefined };
      },
      registerProcessor: (name: string) => (registered = name),
    };
    // The module text, run as a worklet runs it: on its own, against the scope it is given.
    new Function('globalThis', playoutProcessorSource())(scope);
    expect(registered).toBe('rekey-rtc-playout');
  });
});
