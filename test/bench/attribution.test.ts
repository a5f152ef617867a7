import { describe, expect, it } from 'vitest';
import { concealmentIn, playingSpans, type Probe } from '../../bench/handover/attribution';

// Generation 1 plays until the switch to 2 at 1000 ms, switched on a lag of 60 ms (so the first
// audio of generation 2 that is played left its jitter buffer at 940 ms).
const spans = playingSpans([{ generation: 2, at: 1000, lagMs: 60 }]);

/** Probes every 50 ms from 800 to 1200 ms; `bumps` adds concealment events to a connection from a time on. */
function probes(
  bumps: { pc: number; from: number }[],
  created = new Map<number, number>(),
): Probe[] {
  const out: Probe[] = [];
  for (let at = 800; at <= 1200; at += 50) {
    const data = [1, 2]
      .filter((pc) => at >= (created.get(pc) ?? 0))
      .map((pc) => ({
        pc,
        concealmentEvents: bumps.filter((b) => b.pc === pc && at >= b.from).length,
      }));
    out.push({ at, data });
  }
  return out;
}

describe('playingSpans', () => {
  it('gives the generation before the first switch everything before it, the new one its lag early', () => {
    expect(spans).toEqual([
      { generation: 1, from: -Infinity, to: 1000 },
      { generation: 2, from: 940, to: Infinity },
    ]);
  });

  it('does not move a switch earlier for a negative or unknown lag', () => {
    expect(
      playingSpans([
        { generation: 3, at: 500, lagMs: -12 },
        { generation: 4, at: 900, lagMs: null },
      ]).map((s) => s.from),
    ).toEqual([-Infinity, 500, 900]);
  });
});

describe('concealmentIn', () => {
  it('counts concealment on the old generation while it plays', () => {
    const got = concealmentIn(probes([{ pc: 1, from: 900 }]), spans, 860, 1100, 1000);
    expect(got).toEqual({ concealed: true, events: ['1@-150..-100'] });
  });

  it('lists, but does not count, concealment on the old generation after the switch', () => {
    const got = concealmentIn(probes([{ pc: 1, from: 1100 }]), spans, 860, 1150, 1000);
    expect(got).toEqual({ concealed: false, events: ['1@50..100'] });
  });

  it('counts concealment on the new generation in audio it played first (within its lag)', () => {
    // The interval 900-950 overlaps 940-1000: audio that generation 2 played after the switch.
    const got = concealmentIn(probes([{ pc: 2, from: 950 }]), spans, 860, 1100, 1000);
    expect(got).toEqual({ concealed: true, events: ['2@-100..-50'] });
  });

  it('does not count concealment on the new generation well before its audio is played', () => {
    const got = concealmentIn(probes([{ pc: 2, from: 900 }]), spans, 860, 1100, 1000);
    expect(got).toEqual({ concealed: false, events: ['2@-150..-100'] });
  });

  it('ignores concealment outside the stretch asked about', () => {
    const got = concealmentIn(probes([{ pc: 1, from: 850 }]), spans, 900, 1100, 1000);
    expect(got).toEqual({ concealed: false, events: [] });
  });

  it('starts a connection created between two probes from zero', () => {
    const got = concealmentIn(
      probes([{ pc: 2, from: 1050 }], new Map([[2, 1050]])),
      spans,
      900,
      1100,
      1000,
    );
    expect(got).toEqual({ concealed: true, events: ['2@0..50'] });
  });

  it('says null when no probe interval covers the stretch', () => {
    expect(concealmentIn(probes([]), spans, 1300, 1400, 1000)).toEqual({
      concealed: null,
      events: [],
    });
  });
});
