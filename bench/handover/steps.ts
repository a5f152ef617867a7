// Which way the heard timeline steps, in the recordings a `run.ts --save DIR` run kept:
//
//   node --import tsx bench/handover/steps.ts bench/.out/final
//
// For each SDK recording in DIR, from its first scored switch on: every change of delay over
// STEP_MS between two consecutive correctly heard symbols, later (content inserted: a jitter
// buffer concealing or stretching) or earlier (content skipped), and how far the delay moved in
// all. Steps that all go one way, with the delay coming back down gradually, are jitter buffers
// raising their delay in one go and lowering it slowly: not a misaligned switch, which would
// step either way.
import { readdirSync, readFileSync } from 'node:fs';
import { decode } from '../../e2e/audio/decode';
import { SENDER_SEED, type PageEvent } from '../../e2e/audio/session';
import { SAMPLE_RATE } from '../../e2e/audio/signal.mjs';
import type { RekeyReport } from '../../src/types';

const STEP_MS = 5;
const dir = process.argv[2];
if (!dir) {
  console.error('usage: node --import tsx bench/handover/steps.ts DIR (a run.ts --save directory)');
  process.exit(2);
}
const perMs = SAMPLE_RATE / 1000;
let files: string[];
try {
  files = readdirSync(dir);
} catch (err) {
  console.error(`cannot read ${dir}: ${(err as Error).message}`);
  process.exit(1);
}
const names = files
  .filter((f) => f.endsWith('-sdk.pcm'))
  .map((f) => f.slice(0, -'.pcm'.length))
  .sort();
if (names.length === 0) {
  console.error(`no SDK recordings (*-sdk.pcm) in ${dir}`);
  process.exit(1);
}
for (const name of names) {
  const raw = readFileSync(`${dir}/${name}.pcm`);
  const pcm = new Int16Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const saved = JSON.parse(readFileSync(`${dir}/${name}.json`, 'utf8')) as {
    startedAt: number;
    events: PageEvent[];
  };
  const first = saved.events
    .filter((e) => e.type === 'rekey')
    .map((e) => (e.data as RekeyReport).handover)
    .find((h) => h !== null);
  if (!first) {
    console.log(`${name}: no handover on record`);
    continue;
  }
  const from = (first.at - saved.startedAt) * perMs;
  const good = decode(pcm, SENDER_SEED).runs.filter((r) => r.index >= 0 && r.center >= from);
  if (good.length < 2) {
    console.log(`${name}: too little heard after the first switch`);
    continue;
  }
  const later: number[] = [];
  const earlier: number[] = [];
  for (let i = 1; i < good.length; i++) {
    const step = (good[i]!.delay - good[i - 1]!.delay) / perMs;
    if (step > STEP_MS) later.push(step);
    else if (step < -STEP_MS) earlier.push(step);
  }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0).toFixed(0);
  const seconds = (good[good.length - 1]!.center - good[0]!.center) / SAMPLE_RATE;
  const start = good[0]!.delay / perMs;
  const end = good[good.length - 1]!.delay / perMs;
  console.log(
    `${name}: ${seconds.toFixed(0)} s from the first switch; delay ${start.toFixed(0)} -> ` +
      `${end.toFixed(0)} ms; steps over ${STEP_MS} ms: ${later.length} later (${sum(later)} ms), ` +
      `${earlier.length} earlier (${sum(earlier)} ms)`,
  );
}
