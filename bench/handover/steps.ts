// Which way, and how often, the heard timeline steps, in the recordings a
// `run.ts --save DIR` run kept:
//
//   node --import tsx bench/handover/steps.ts bench/.out/final
//
// A step is a change of delay over STEP_MS between two consecutive correctly heard symbols:
// later (content inserted: a jitter buffer concealing or stretching) or earlier (content
// skipped). Counted per recording, with the seconds of audio they were counted over:
// - SDK rows: from the first scored switch to the end (switches included).
// - Baseline rows: only between reconnects, outside BBM_SKIP of each (the hole and the new
//   connection's first second), so what is left is a plain `<audio>` element playing young
//   connections, with no WebAudio in the way.
// Steps that all go one way, at the same rate in both, are the browsers' jitter buffers raising
// their delay in one go, or an audio thread missing its deadline: not a misaligned switch, which
// would step either way. "silent" counts the later steps with at least SILENT_MS of silence
// between the two symbols: the sound server got no audio in time (an output underrun),
// as opposed to concealment or stretching by a jitter buffer.
import { readdirSync } from 'node:fs';
import { decode } from '../../e2e/audio/decode';
import { SENDER_SEED, type PageEvent } from '../../e2e/audio/session';
import { SAMPLE_RATE } from '../../e2e/audio/signal.mjs';
import type { RekeyReport } from '../../src/types';
import { loadRecording } from './saved';
import { heardSteps, STEP_MS } from './timeline';

const SILENT_MS = 4;
/** Around each baseline reconnect (ms from the sender's close): not counted. */
const BBM_SKIP = { before: 100, after: 1000 };

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node --import tsx bench/handover/steps.ts DIR (a run.ts --save directory)');
  process.exit(2);
}
let files: string[];
try {
  files = readdirSync(dir);
} catch (err) {
  console.error(`cannot read ${dir}: ${(err as Error).message}`);
  process.exit(1);
}
const names = files
  .filter((f) => /-(sdk|bbm)\.pcm$/.test(f))
  .map((f) => f.slice(0, -'.pcm'.length))
  .sort();
if (names.length === 0) {
  console.error(`no recordings (*-sdk.pcm, *-bbm.pcm) in ${dir}`);
  process.exit(1);
}

const perMs = SAMPLE_RATE / 1000;
for (const name of names) {
  const saved = loadRecording(dir, name);
  const { pcm } = saved;
  const counted = name.endsWith('-sdk') ? sdkSpan(saved) : bbmSpan(saved);
  if (!counted) {
    console.log(`${name}: nothing to count (no switch on record)`);
    continue;
  }
  const decoded = decode(pcm, SENDER_SEED);
  const good = decoded.runs.filter((r) => r.index >= 0);
  const later: number[] = [];
  let silent = 0;
  const earlier: number[] = [];
  let seconds = 0;
  for (let i = 1; i < good.length; i++) {
    const a = good[i - 1]!.center / perMs;
    const b = good[i]!.center / perMs;
    if (counted(a) && counted(b)) seconds += (b - a) / 1000;
  }
  for (const { fromMs, atMs, stepMs } of heardSteps(good, perMs)) {
    if (!counted(fromMs) || !counted(atMs)) continue;
    if (stepMs > 0) {
      later.push(stepMs);
      let quiet = 0;
      for (let m = Math.round(fromMs); m < Math.round(atMs); m++) quiet += decoded.quiet[m] ?? 0;
      if (quiet >= SILENT_MS) silent += 1;
    } else earlier.push(stepMs);
  }
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0).toFixed(0);
  const rate = seconds > 0 ? ((later.length + earlier.length) / seconds).toFixed(3) : '-';
  console.log(
    `${name}: ${seconds.toFixed(1)} s counted; steps over ${STEP_MS} ms: ` +
      `${later.length} later (${sum(later)} ms, ${silent} silent), ` +
      `${earlier.length} earlier (${sum(earlier)} ms); ` +
      `${rate} per second`,
  );
}

/** SDK: from the first switch heard on (ms of recording) to the end. */
function sdkSpan(saved: { startedAt: number; events: PageEvent[] }) {
  const first = saved.events
    .filter((e) => e.type === 'rekey')
    .map((e) => (e.data as RekeyReport).handover)
    .find((h) => h !== null);
  if (!first) return null;
  const from = first.at - saved.startedAt;
  return (ms: number) => ms >= from;
}

/** Baseline: between its first and last reconnect, away from each. */
function bbmSpan(saved: { startedAt: number; events: PageEvent[] }) {
  const closes = saved.events
    .filter((e) => e.type === 'raw-switch')
    .map((e) => e.at - saved.startedAt);
  if (closes.length === 0) return null;
  const first = closes[0]!;
  const last = closes[closes.length - 1]!;
  return (ms: number) =>
    ms >= first &&
    ms <= last + BBM_SKIP.after &&
    !closes.some((c) => ms > c - BBM_SKIP.before && ms < c + BBM_SKIP.after);
}
