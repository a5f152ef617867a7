// Audio-thread work of a switch at the end of its budget, against a render quantum's deadline:
//
//   node --import tsx bench/handover/search-cost.ts [--trials 5]
//
// When the last check of a switch fails at the end of `switchMs`, the playout worklet
// (src/media/playoutProcessor.ts) looks for the offset within 5 ms of the last one on the last
// 30 ms, inside one message handler on the audio thread: 481 delays scored on every 4th of 1440
// samples, then the best and its 4 neighbours on all 1440. The
// audio thread must also deliver 128 frames every 2.67 ms (48 kHz). This times that search in
// a fresh process (the code not yet compiled by the JIT, as in a worklet that never searched
// before) and warm, and, as the baseline of the same run, one plain render quantum of two
// generations. Node's V8 stands in for the browsers' engines (Chromium's is V8 too).
// Writes the "Audio-thread work at a switch" section of BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { writeBenchmarksSection } from '../benchmarks-file.mjs';
import { median } from '../../e2e/audio/decode';
import { noise, ProcessorRig, QUANTUM } from '../../test/fakes/playoutWorklet';

const RATE = 48_000;
const DEADLINE_MS = (QUANTUM / RATE) * 1000;
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name}: a whole number >= 1`);
  return value;
};

/** One trial: the search once in this process (cold), then 20 more (warm), and plain quanta. */
function trial(): { coldMs: number; warmMs: number; quantumMs: number } {
  const signal = noise(7, 4 * RATE);
  // The old generation plays 20 ms late; the new one 3 ms off the offset the command names, so
  // the check fails and the search runs.
  const rig = new ProcessorRig([
    (frame) => signal[frame - 960] ?? 0,
    (frame) => signal[frame - 144] ?? 0,
    () => null,
  ]);
  rig.send({ type: 'play', slot: 0, delay: 0 });
  rig.render(Math.ceil(RATE / QUANTUM)); // 1 s of both inputs in the rings
  const switchCommand = {
    type: 'switch',
    from: 0,
    slot: 1,
    lag: 960 - 144 - 144,
    verify: true,
    search: 240,
    force: true, // as RemotePlayout sends it at the end of the budget
    fade: 480,
    reserve: 0,
    rate: 0.005,
  };
  const time = (run: () => void) => {
    const start = performance.now();
    run();
    return performance.now() - start;
  };
  const coldMs = time(() => rig.send(switchCommand));
  if (!rig.replies.some((r) => r.type === 'switched')) throw new Error('the search found nothing');
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    rig.send({ type: 'play', slot: 0, delay: 0 });
    warm.push(time(() => rig.send(switchCommand)));
  }
  const quanta: number[] = [];
  for (let i = 0; i < 200; i++) quanta.push(time(() => rig.render(1)));
  return { coldMs, warmMs: median(warm), quantumMs: median(quanta) };
}

if (args.includes('--trial')) {
  process.stdout.write(JSON.stringify(trial()));
} else {
  const trials = option('trials', 5);
  const self = fileURLToPath(import.meta.url);
  const results = Array.from({ length: trials }, (_, i) => {
    process.stderr.write(`trial ${i + 1}/${trials}\n`);
    const out = execFileSync(process.execPath, ['--import', 'tsx', self, '--trial'], {
      encoding: 'utf8',
    });
    return JSON.parse(out) as ReturnType<typeof trial>;
  });
  type Key = keyof ReturnType<typeof trial>;
  const medianOf = (key: Key) => median(results.map((r) => r[key]));
  const range = (key: Key) => {
    const values = results.map((r) => r[key]);
    return `${medianOf(key).toFixed(2)} (${Math.min(...values).toFixed(2)}-${Math.max(...values).toFixed(2)})`;
  };
  /** The median in render quanta. */
  const quanta = (key: Key, digits: number) => (medianOf(key) / DEADLINE_MS).toFixed(digits);
  const command = `node --import tsx bench/handover/search-cost.ts${trials === 5 ? '' : ` --trials ${trials}`}`;
  const body = [
    'What the playout worklet does on the audio thread when the last check of a switch fails at',
    'the end of `switchMs`: it looks for the offset within 5 ms of the last one on the last 30 ms',
    '(481 delays scored on every 4th of 1440 samples, then the best and its 4 neighbours on all',
    'of them) inside one message handler, while the thread must deliver',
    `128 frames every ${DEADLINE_MS.toFixed(2)} ms. Timed in Node ${process.version} (V8, as in Chromium), in a`,
    'fresh process for the first search (not yet compiled by the JIT) and warm; the baseline is one',
    'plain render quantum of two generations, in the same processes. Median (range) over the trials, ms.',
    '',
    `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: \`${command}\` (${trials} trials, ${cpus().length} cores).`,
    '',
    '| work on the audio thread | ms | render quanta (2.67 ms) |',
    '| --- | --- | --- |',
    `| the search, first time (cold) | ${range('coldMs')} | ${quanta('coldMs', 1)} |`,
    `| the search, warm | ${range('warmMs')} | ${quanta('warmMs', 1)} |`,
    `| baseline: one render quantum, two generations | ${range('quantumMs')} | ${quanta('quantumMs', 2)} |`,
  ].join('\n');
  console.log(body);
  await writeBenchmarksSection('Audio-thread work at a switch', body);
  console.log('\nwrote the "Audio-thread work at a switch" section of BENCHMARKS.md');
}
