// Which connection's jitter buffer concealed in the audio a window of a recording holds, from the
// receiver page's stats probe (run.ts --probe-ms): the logic of attribute.ts, on its own so that
// it can be tested (test/bench/attribution.test.ts).

/** One probe read: page time, and each open connection's inbound audio counters. */
export interface Probe {
  at: number;
  data: { pc: number; concealmentEvents?: number }[];
}

/** When the audio a generation played left its jitter buffer, page time. */
export interface PlayingSpan {
  generation: number;
  from: number;
  to: number;
}

export interface Concealment {
  /** A connection concealed in audio of its own that was played: null, no probe covers it. */
  concealed: boolean | null;
  /** Every probe interval with concealment, played or not: "generation@from..to" ms from `at`. */
  events: string[];
}

/**
 * The spans of audio each generation played, from the switches (handover.at, the lag switched on
 * in ms: how much later the new generation's audio was played than it arrived, relative to the
 * old one's). The generation before the first switch plays from the start. A new generation's
 * audio is played `lagMs` after it arrives (when positive), so what it plays first left its
 * jitter buffer that long before the switch.
 */
export function playingSpans(
  switches: { generation: number; at: number; lagMs: number | null }[],
): PlayingSpan[] {
  if (switches.length === 0) return [];
  const spans = switches.map((s, i) => ({
    generation: s.generation,
    from: s.at - Math.max(0, s.lagMs ?? 0),
    to: switches[i + 1]?.at ?? Infinity,
  }));
  return [
    { generation: switches[0]!.generation - 1, from: -Infinity, to: switches[0]!.at },
    ...spans,
  ];
}

/**
 * Concealment in audio that left the jitter buffers between `from` and `to` (page time): on a
 * connection while the audio it played came from that time (connection n is generation n), and
 * on any. `at`: the instant the events are given relative to.
 */
export function concealmentIn(
  probes: Probe[],
  spans: PlayingSpan[],
  from: number,
  to: number,
  at: number,
): Concealment {
  let covered = false;
  let concealed = false;
  const events: string[] = [];
  for (let i = 1; i < probes.length; i++) {
    const start = probes[i - 1]!.at;
    const end = probes[i]!.at;
    if (end < from || start > to) continue;
    covered = true;
    for (const now of probes[i]!.data) {
      const then = probes[i - 1]!.data.find((c) => c.pc === now.pc);
      // A connection created inside the interval starts from zero.
      if ((now.concealmentEvents ?? 0) - (then?.concealmentEvents ?? 0) <= 0) continue;
      events.push(`${now.pc}@${(start - at).toFixed(0)}..${(end - at).toFixed(0)}`);
      const span = spans.find((p) => p.generation === now.pc);
      if (span && start <= Math.min(to, span.to) && end >= Math.max(from, span.from))
        concealed = true;
    }
  }
  return { concealed: covered ? concealed : null, events };
}
