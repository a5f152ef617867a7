// When, in a re-key's cycle, the receiver's connection playing conceals (a packet came late),
// and what the playout's offset measurements cost the main thread, from saved probed runs:
//
//   node --import tsx bench/handover/run.ts --modes sdk --probe-ms 50 [--timing] --save DIR ...
//   node --import tsx bench/handover/phases.ts DIR [DIR ...]
//
// Phases of each generation's time playing, page time: the 500 ms after its switch; alone, until
// the next re-key starts (the receiver's call.rekey()); the next connection's handshake, until it
// flows (its report's time less overlapMs); the first second of the overlap; the rest of the
// overlap, until the next switch. Concealment events on the generation playing, per second of
// probe time in each phase (a probe interval belongs to the phase its midpoint is in).
//
// With --timing recordings (both pages' 'measure' events): each measurement's main-thread time,
// full searches (the whole +-250 ms) apart from tracking ones, and how many concealments on the
// connection playing fell within 150 ms after a measurement over 8 ms on either side, against
// the number expected if they fell anywhere in the recording.
import { existsSync, readFileSync } from 'node:fs';
import type { PageEvent } from '../../e2e/audio/session';
import type { RekeyReport } from '../../src/types';
import type { Probe } from './attribution';
import { loadRecording, sdkRecordings } from './saved';

const PHASES = ['after the switch', 'alone', 'handshake', 'overlap, 1st s', 'overlap, rest'];
/** Snapshot length of a full search (150 ms + 2 x 250 ms at 48 kHz; src/media/RemotePlayout.ts). */
const FULL_SAMPLES = 31_200;
const LONG_MS = 8;
const AFTER_MS = 150;

const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (dirs.length === 0) {
  console.error('usage: node --import tsx bench/handover/phases.ts DIR [DIR ...]');
  process.exit(2);
}

type Measure = PageEvent & { data: { ms: number; samples: number } };
const perReceiver = new Map<string, { events: number[]; ms: number[] }>();
const measures = { full: [] as number[], tracking: [] as number[] };
const near = { observed: 0, expected: 0, total: 0 };

for (const dir of dirs) {
  for (const name of sdkRecordings(dir)) {
    const receiver = name.split('-')[1]!;
    const saved = loadRecording(dir, name);
    const probes = saved.events.filter((e) => e.type === 'probe') as unknown as Probe[];
    if (probes.length < 2) {
      console.log(`${dir}/${name}: no probe (run.ts --probe-ms), skipped`);
      continue;
    }
    const reports = new Map<number, { at: number; report: RekeyReport }>();
    for (const e of saved.events)
      if (e.type === 'rekey') {
        const report = e.data as RekeyReport;
        reports.set(report.generation, { at: e.at, report });
      }
    const starts = saved.events.filter((e) => e.type === 'rekeystart').map((e) => e.at);
    /** Phase of generation `g` at page time `t`, or null when it is not playing then. */
    const phaseOf = (g: number, t: number): number | null => {
      const mine = reports.get(g)?.report.handover;
      const next = reports.get(g + 1);
      if (!mine || !next?.report.handover) return null;
      if (t < mine.at || t >= next.report.handover.at) return null;
      const flowing = next.at - next.report.overlapMs;
      const start = starts.filter((s) => s < flowing).pop() ?? flowing;
      if (t < mine.at + 500) return 0;
      if (t < start) return 1;
      if (t < flowing) return 2;
      if (t < flowing + 1000) return 3;
      return 4;
    };
    const tally = perReceiver.get(receiver) ?? {
      events: PHASES.map(() => 0),
      ms: PHASES.map(() => 0),
    };
    perReceiver.set(receiver, tally);
    /** Page times (interval midpoints) of concealment on the connection playing. */
    const concealed: number[] = [];
    for (let i = 1; i < probes.length; i++) {
      const mid = (probes[i - 1]!.at + probes[i]!.at) / 2;
      for (const now of probes[i]!.data) {
        const phase = phaseOf(now.pc, mid);
        if (phase === null) continue;
        const then = probes[i - 1]!.data.find((c) => c.pc === now.pc);
        const events = Math.max(0, (now.concealmentEvents ?? 0) - (then?.concealmentEvents ?? 0));
        tally.events[phase]! += events;
        tally.ms[phase]! += probes[i]!.at - probes[i - 1]!.at;
        if (events > 0) concealed.push(mid);
      }
    }

    const senderFile = `${dir}/${name}.sender-events.json`;
    const sender = existsSync(senderFile)
      ? (JSON.parse(readFileSync(senderFile, 'utf8')) as PageEvent[])
      : [];
    const timed = [...saved.events, ...sender].filter((e) => e.type === 'measure') as Measure[];
    if (timed.length === 0) continue;
    for (const m of timed)
      (m.data.samples >= FULL_SAMPLES ? measures.full : measures.tracking).push(m.data.ms);
    // Concealment within AFTER_MS of a long measurement (its event is recorded at its end).
    const spans = timed
      .filter((m) => m.data.ms > LONG_MS)
      .map((m) => ({ from: m.at - m.data.ms, to: m.at + AFTER_MS }))
      .sort((a, b) => a.from - b.from);
    let covered = 0;
    let reach = -Infinity;
    for (const s of spans) {
      covered += Math.max(0, s.to - Math.max(s.from, reach));
      reach = Math.max(reach, s.to);
    }
    const length = probes[probes.length - 1]!.at - probes[0]!.at;
    near.total += concealed.length;
    near.observed += concealed.filter((t) => spans.some((s) => s.from <= t && t < s.to)).length;
    near.expected += (concealed.length * covered) / length;
  }
}

for (const [receiver, { events, ms }] of perReceiver) {
  console.log(`${receiver} receiver: concealment on the connection playing, per phase`);
  PHASES.forEach((phase, i) =>
    console.log(
      `  ${phase.padEnd(18)} ${String(events[i]).padStart(4)} in ${(ms[i]! / 1000).toFixed(0).padStart(4)} s: ` +
        `${ms[i] ? ((events[i]! * 1000) / ms[i]!).toFixed(3) : '-'} per second`,
    ),
  );
}
const summary = (xs: number[]) => {
  if (xs.length === 0) return 'none';
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return (
    `${xs.length}, median ${at(0.5).toFixed(1)} ms, 90th percentile ${at(0.9).toFixed(1)}, ` +
    `max ${at(1).toFixed(1)}, over 50 ms ${xs.filter((x) => x > 50).length}`
  );
};
if (measures.full.length + measures.tracking.length > 0) {
  console.log('main-thread time of the playout measurements, both pages:');
  console.log(`  full searches: ${summary(measures.full)}`);
  console.log(`  tracking:      ${summary(measures.tracking)}`);
  console.log(
    `  concealment on the connection playing within ${AFTER_MS} ms after a measurement over ` +
      `${LONG_MS} ms: ${near.observed} of ${near.total} (by chance: ${near.expected.toFixed(1)})`,
  );
}
