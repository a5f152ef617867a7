// How much of a call was heard cleanly, from its start, in recordings a `run.ts --save DIR` run
// kept (one DIR per browser launch):
//
//   node --import tsx bench/handover/heard.ts DIR [DIR ...]
//
// For each SDK recording in each DIR: the 200 ms windows, from 1.5 s into the recording (the
// call connecting) to 1.5 s before its end, in which fewer than 18 of the 20 10 ms symbols of
// the sender's tone were heard in place; and when the first ones were. A launch whose output
// garbles or drifts in pitch for seconds shows as a run of such windows; a clean one has none
// or a few (jitter-buffer steps, switches).
import { decode } from '../../e2e/audio/decode';
import { SENDER_SEED } from '../../e2e/audio/session';
import { SAMPLE_RATE } from '../../e2e/audio/signal.mjs';
import { loadRecording, sdkRecordings } from './saved';

const WINDOW_MS = 200;
const MIN_HEARD = 18;
const MARGIN_MS = 1500;

const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node --import tsx bench/handover/heard.ts DIR [DIR ...]');
  process.exit(2);
}
const perMs = SAMPLE_RATE / 1000;
let launches = 0;
let garbled = 0;
for (const dir of dirs) {
  for (const name of sdkRecordings(dir)) {
    const { pcm } = loadRecording(dir, name);
    const good = decode(pcm, SENDER_SEED).runs.filter((r) => r.index >= 0);
    const end = pcm.length / perMs - MARGIN_MS;
    const bad: number[] = [];
    let windows = 0;
    for (let t = MARGIN_MS; t + WINDOW_MS <= end; t += WINDOW_MS) {
      windows += 1;
      const heard = good.filter(
        (r) => r.center / perMs >= t && r.center / perMs < t + WINDOW_MS,
      ).length;
      if (heard < MIN_HEARD) bad.push(t);
    }
    launches += 1;
    // More than a second of bad windows: the launch garbled (a switch or a step costs one or two).
    if (bad.length * WINDOW_MS > 1000) garbled += 1;
    const first = bad
      .slice(0, 6)
      .map((t) => (t / 1000).toFixed(1))
      .join(' ');
    console.log(
      `${dir}/${name}.pcm: ${bad.length}/${windows} windows under ${MIN_HEARD}/20 heard` +
        (bad.length ? ` (from ${first}${bad.length > 6 ? ' ...' : ''} s)` : ''),
    );
  }
}
console.log(`${garbled} of ${launches} launches had more than 1 s of garbled audio`);
