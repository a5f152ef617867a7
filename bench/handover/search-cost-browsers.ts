// The playout worklet's end-of-budget search, timed on the browsers' own audio threads:
//
//   npm run build && node --import tsx bench/handover/search-cost-browsers.ts [--trials 7]
//       [--worklet /dist/rekey-rtc-playout.worklet.js] [--worklet /dist/ab-NAME/rekey-rtc-playout.worklet.js]
//
// bench/handover/search-cost.ts times the search in Node; this runs the shipped worklet module in
// a real AudioContext of Chromium and of Firefox (bench/handover/pages/search-cost.mjs), each
// trial in a fresh browser context, so the first search runs in a worklet scope that has never
// run it: what happens at a call's first end-of-budget switch. The baselines, in the same
// trials: a switch whose check passes (no search), first in another fresh context and warm, and
// a 'play' command. With two or more --worklet builds, their trials alternate. Writes the
// "Audio-thread work at a switch, in the browsers" section of BENCHMARKS.md.
import { cpus, loadavg } from 'node:os';
import { writeBenchmarksSection } from '../benchmarks-file.mjs';
import { median } from '../../e2e/audio/decode';
import type { BrowserName } from '../../e2e/support/browsers';
import { createSink, launchAudioBrowser, startDisplay } from '../../e2e/audio/sound';
import { startStaticServer } from '../../e2e/support/static-server.mjs';

const args = process.argv.slice(2);
const values = (name: string) =>
  args.flatMap((arg, i) => (arg === `--${name}` && i + 1 < args.length ? [args[i + 1]!] : []));
const trials = Number(values('trials')[0] ?? 7);
if (!Number.isInteger(trials) || trials < 1) throw new Error('--trials: a whole number >= 1');
const worklets = values('worklet');
if (worklets.length === 0) worklets.push('/dist/rekey-rtc-playout.worklet.js');
for (const w of worklets)
  if (!/^\/[\w./-]+\.js$/.test(w)) throw new Error(`--worklet ${w}: a path on the server, /....js`);
const BROWSERS: BrowserName[] = ['chromium', 'firefox'];
const RENDER_QUANTUM_MS = (128 / 48_000) * 1000;

interface Trial {
  clock: string;
  coldMs: number;
  warmMs: number;
  checkMs: number;
  playMs: number;
  coldCheckMs: number;
}

// As a call plays: into a sound server (Firefox's AudioContext does not run without one; headful
// Chromium under Xvfb, because headless Chromium does not play into PulseAudio, FACTS.md).
const server = await startStaticServer({});
const sink = await createSink();
const display = await startDisplay();
const results = new Map<string, Trial[]>();
const load = [loadavg()[0]!];
try {
  for (const name of BROWSERS) {
    const browser = await launchAudioBrowser(name, { sink, display });
    try {
      for (let t = 0; t < trials; t++) {
        for (const worklet of worklets) {
          process.stderr.write(`${name} ${worklet}: trial ${t + 1}/${trials}\n`);
          const context = await browser.newContext();
          try {
            const page = await context.newPage();
            const url = new URL('/bench/handover/pages/search-cost.html', server.url);
            url.searchParams.set('worklet', worklet);
            await page.goto(url.href);
            await page.waitForFunction(() => (window as unknown as { ready?: boolean }).ready);
            let timer: NodeJS.Timeout | undefined;
            const trial = (await Promise.race([
              page.evaluate(() => (window as unknown as { trial: () => Promise<unknown> }).trial()),
              new Promise((_, reject) => {
                timer = setTimeout(
                  () => reject(new Error(`${name}: a trial took over 30 s`)),
                  30_000,
                );
              }),
            ]).finally(() => clearTimeout(timer))) as Trial;
            const key = `${name} ${worklet}`;
            results.set(key, [...(results.get(key) ?? []), trial]);
          } finally {
            await context.close();
          }
        }
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  await Promise.all([server.close(), sink.unload(), display.stop()]);
}
load.push(loadavg()[0]!);

const cell = (list: Trial[], key: 'coldMs' | 'coldCheckMs' | 'warmMs' | 'checkMs' | 'playMs') => {
  const v = list.map((r) => r[key]);
  const digits = key.startsWith('cold') ? 1 : 2;
  return `${median(v).toFixed(digits)} (${Math.min(...v).toFixed(digits)}-${Math.max(...v).toFixed(digits)})`;
};
const rows = [...results].map(([key, list]) => {
  const [name, worklet] = key.split(' ') as [string, string];
  const clocks = [...new Set(list.map((r) => r.clock))].join(', ');
  return `| ${name} | \`${worklet}\` | ${cell(list, 'coldMs')} | ${(median(list.map((r) => r.coldMs)) / RENDER_QUANTUM_MS).toFixed(1)} | ${cell(list, 'coldCheckMs')} | ${cell(list, 'warmMs')} | ${cell(list, 'checkMs')} | ${cell(list, 'playMs')} | ${clocks} |`;
});
const command = [
  'node --import tsx bench/handover/search-cost-browsers.ts',
  trials === 7 ? '' : `--trials ${trials}`,
  ...(values('worklet').length ? worklets.map((w) => `--worklet ${w}`) : []),
]
  .filter(Boolean)
  .join(' ');
const body = [
  'The end-of-budget search of the playout worklet (the offset looked for within 5 ms on the last',
  "30 ms, in one message handler), timed on the browsers' own audio threads: the worklet module",
  'in a real AudioContext at 48 kHz, fed one noise signal 20 ms and 3 ms late, told to switch on',
  'an offset 3 ms off so that its check fails and it searches, playing into a PulseAudio null sink',
  '(Chromium headful under Xvfb, Firefox headless) as in the handover bench. Each trial is a fresh browser',
  'context, so the first search ("cold") runs in a worklet scope that has never run it, as at a',
  'call\'s first such switch; "warm" is the mean of 20 more in the same handler. Baselines, same',
  'trials: a switch whose check passes (no search), first in another fresh context (what any',
  "call's first switch costs) and warm, and a `play` command. Median (range) over the",
  "trials, in ms on the worklet scope's clock (`Date.now` where it has no `performance`: 1 ms",
  'steps, so a cold time of 0 or 1 means under 1 ms or so). A render quantum is 2.67 ms.',
  '',
  `Run of ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC: \`npm run build && ${command}\` (${trials} trials each, ${cpus().length} cores, load ${load.map((l) => l.toFixed(1)).join('-')}).`,
  '',
  '| browser | worklet | search, cold | in render quanta | first switch, check passes (cold baseline) | search, warm | check alone, warm (baseline) | `play` (baseline) | clock |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
console.log(body);
await writeBenchmarksSection('Audio-thread work at a switch, in the browsers', body);
console.log(
  '\nwrote the "Audio-thread work at a switch, in the browsers" section of BENCHMARKS.md',
);
