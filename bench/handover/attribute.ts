// Switch windows and control windows of saved SDK recordings, split by whether the receiver's
// jitter buffer of a connection playing concealed in the audio they hold (a packet came late):
//
//   node --import tsx bench/handover/run.ts --modes sdk --probe-ms 50 --save DIR ...
//   node --import tsx bench/handover/attribute.ts DIR [DIR ...] [--audio-output remoteStream|speaker] [--write]
//
// The windows are run.ts's (bench/handover/windows.ts), scored by the same decoder. The receiver
// page's probe reads each open connection's concealmentEvents every 50 ms or so. Audio heard at
// page time t left the jitter buffers between t - L.max and t - L.min, where L is the output
// path's latency, taken from the switch window (it spans the calibrated latency with margin).
// A window counts as concealed when a probe interval that overlaps that stretch of page time
// shows concealment on a connection while the audio played came from it: a generation from its
// switch's handover.at, less the lag it was switched on (its first audio played arrived that
// much earlier), to the next switch (bench/handover/attribution.ts). The slot delays of the
// playout worklet after a switch (the lag, returning to 0 over seconds) and the probe's own
// interval are inside L's margin, roughly. Windows with no probe over that stretch are left out,
// and counted. Every concealment in that stretch, played or not, is listed for windows over
// the target.
//
// What it answers: is what a switch window loses beyond 10 ms the switch, or a late packet
// concealed by the connection playing, which same-length windows with no re-key show too?
// --write puts the table in BENCHMARKS.md, section "Handover, against concealment".
import { decode, measureAround } from '../../e2e/audio/decode';
import { SENDER_SEED } from '../../e2e/audio/session';
import type { BrowserName } from '../../e2e/support/browsers';
import type { RekeyReport } from '../../src/types';
import { writeBenchmarksSection } from '../benchmarks-file.mjs';
import { concealmentIn, playingSpans, type Concealment, type Probe } from './attribution';
import { loadRecording, sdkRecordings } from './saved';
import { controlWindows, SWITCH_WINDOWS, type AudioOutput } from './windows';

const TARGET_MS = 10;

interface Scored {
  kind: 'switch' | 'control';
  /** Page time the window is placed at (handover.at, or the control's centre instant). */
  at: number;
  generation: number;
  disruptionMs: number;
  concealed: Concealment['concealed'];
  events: Concealment['events'];
}

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const output = (flag('audio-output') ?? 'remoteStream') as AudioOutput;
if (!(output in SWITCH_WINDOWS)) {
  console.error("--audio-output: 'remoteStream' or 'speaker'");
  process.exit(2);
}
const dirs = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--audio-output');
if (dirs.length === 0) {
  console.error(
    'usage: node --import tsx bench/handover/attribute.ts DIR [DIR ...] [--audio-output remoteStream|speaker] [--write]',
  );
  process.exit(2);
}

/** Scores one saved recording; null when it has no probe or no switch. */
function scoreRecording(dir: string, name: string, receiver: BrowserName): Scored[] | null {
  const saved = loadRecording(dir, name);
  const probes = saved.events.filter((e) => e.type === 'probe') as unknown as Probe[];
  const switches = saved.events
    .filter((e) => e.type === 'rekey')
    .map((e) => e.data as RekeyReport)
    .filter((r) => r.handover !== null)
    .map((r) => ({ generation: r.generation, at: r.handover!.at, lagMs: r.handover!.lagMs }));
  if (probes.length < 2 || switches.length === 0) return null;
  const window = SWITCH_WINDOWS[output][receiver];
  const latency = { min: Math.max(0, window.from), max: window.to };
  const spans = playingSpans(switches);
  const playingAt = (t: number) =>
    [...spans].reverse().find((p) => p.from <= t)?.generation ?? spans[0]!.generation;

  const decoded = decode(saved.pcm, SENDER_SEED);
  const toMs = (at: number) => at - saved.startedAt;
  const score = (kind: Scored['kind'], at: number, generation: number): Scored => {
    const heard = { from: at + window.from, to: at + window.to };
    return {
      kind,
      at,
      generation,
      disruptionMs: measureAround(decoded, toMs(at), -window.from, window.to).disruptionMs,
      ...concealmentIn(probes, spans, heard.from - latency.max, heard.to - latency.min, at),
    };
  };
  const controls = controlWindows(saved.events, window);
  return [
    ...switches.map((s) => score('switch', s.at, s.generation)),
    ...controls.at.map((c) =>
      score('control', c + controls.middle, playingAt(c + controls.middle)),
    ),
  ];
}

const byPair = new Map<string, Scored[]>();
for (const dir of dirs) {
  for (const name of sdkRecordings(dir)) {
    const [sender, receiver] = name.split('-') as [BrowserName, BrowserName];
    if (!(receiver in SWITCH_WINDOWS[output])) {
      console.log(`${dir}/${name}: not a sender-receiver-sdk recording, skipped`);
      continue;
    }
    const scored = scoreRecording(dir, name, receiver);
    if (!scored) {
      console.log(`${dir}/${name}: no probe events or no switch (run.ts --probe-ms), skipped`);
      continue;
    }
    const pair = `${sender}->${receiver}`;
    byPair.set(pair, [...(byPair.get(pair) ?? []), ...scored]);
    for (const s of scored.filter((w) => w.disruptionMs > TARGET_MS))
      console.log(
        `${dir}/${name}: ${s.kind} window of generation ${s.generation}: ${s.disruptionMs.toFixed(1)} ms, ` +
          (s.concealed === null
            ? 'no probe over it'
            : s.concealed
              ? 'concealment on the connection playing'
              : 'no concealment on a connection playing') +
          (s.events.length ? `; concealment (generation@ms from it): ${s.events.join(', ')}` : ''),
      );
  }
}
if (byPair.size === 0) {
  console.error('no probed SDK recording found');
  process.exit(1);
}

/** "n/m (worst x)" of the windows at or under the target. */
const within = (ws: Scored[]) => {
  if (ws.length === 0) return '-';
  const worst = Math.max(...ws.map((w) => w.disruptionMs));
  return `${ws.filter((w) => w.disruptionMs <= TARGET_MS).length}/${ws.length} (worst ${worst.toFixed(1)})`;
};
/** A table row: per kind of window, how many, within the target without and with concealment, unprobed. */
const row = (label: string, scored: Scored[]) => [
  label,
  ...(['switch', 'control'] as const).flatMap((kind) => {
    const ws = scored.filter((w) => w.kind === kind);
    return [
      String(ws.length),
      within(ws.filter((w) => w.concealed === false)),
      within(ws.filter((w) => w.concealed === true)),
      String(ws.filter((w) => w.concealed === null).length),
    ];
  }),
];
const pairs = [...byPair].sort();
const rows = [
  ...pairs.map(([pair, scored]) => row(pair, scored)),
  row(
    'all',
    pairs.flatMap(([, scored]) => scored),
  ),
];
const header = [
  'sender -> receiver',
  'switch windows',
  'no concealment: <= 10 ms',
  'concealment: <= 10 ms',
  'no probe',
  'switch-length controls',
  'no concealment: <= 10 ms',
  'concealment: <= 10 ms',
  'no probe',
];
const table = [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((r) => `| ${r.join(' | ')} |`),
].join('\n');
console.log(table);

if (args.includes('--write')) {
  const command = `node --import tsx bench/handover/attribute.ts ${process.argv
    .slice(2)
    .filter((a) => a !== '--write')
    .join(' ')}`;
  const body = [
    'Switch windows and same-length control windows (no re-key under way) of probed SDK runs,',
    "split by whether the receiver's jitter buffer of a connection playing concealed in the audio",
    'they hold: a packet that came late. "<= 10 ms" counts the windows at or under the target, of',
    'those with and without concealment; "no probe": windows whose audio no probe interval covers',
    '(left out). Windows as in section "Handover"; how a window is matched to the probe: the header',
    'of `bench/handover/attribute.ts`.',
    '',
    `Recordings: ${dirs.join(', ')}. Command: \`${command}\``,
    '',
    table,
  ].join('\n');
  console.log(`wrote ${await writeBenchmarksSection('Handover, against concealment', body)}`);
}
