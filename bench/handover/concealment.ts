// Which connection a heard step came from, in the recordings of a run with the page's stats probe:
//
//   node --import tsx bench/handover/run.ts --probe-ms 50 --save DIR ...
//   node --import tsx bench/handover/concealment.ts DIR [DIR ...] [--verbose] [--around]
//
// The probe (audio-page.mjs startProbe) records, every MS, each open connection's inbound audio
// counters. For every step of the heard timeline over STEP_MS (as steps.ts counts them, SDK
// recordings, from the first scored switch on), this looks at the LOOKBACK_MS of page time
// before it was heard (the output path's latency is 40-400 ms, see run.ts's switch windows) and
// says which connections' jitter buffers concealed (concealmentEvents) or stretched
// (insertedSamplesForDeceleration) in it: the one playing, the other one of an overlap, both.
// A step with concealment on the connection playing is that jitter buffer's own (a packet came
// late); concealment on both at once is a late sender or network, common to every generation.
//
// --around: concealment events per 100 ms of page time around each switch's handover.at, on the
// new connection and on the old one, summed over the recordings: when, relative to a switch,
// jitter buffers conceal.
//
// Connection n of the page (created n-th) is generation n: the SDK builds one per generation,
// and one more per failed attempt (a run with failures says so; then this does not apply).
import { readdirSync } from 'node:fs';
import { decode } from '../../e2e/audio/decode';
import { SENDER_SEED, type PageEvent } from '../../e2e/audio/session';
import { SAMPLE_RATE } from '../../e2e/audio/signal.mjs';
import type { RekeyReport } from '../../src/types';
import { loadRecording } from './saved';
import { heardSteps, STEP_MS } from './timeline';

const LOOKBACK_MS = 400;

interface Counters {
  pc: number;
  concealmentEvents?: number;
  insertedSamplesForDeceleration?: number;
  jitterBufferMs?: number | null;
}

const dirs = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const verbose = process.argv.includes('--verbose');
const around = process.argv.includes('--around');
const BIN_MS = 100;
const AROUND_MS = { from: -3000, to: 2000 };
/** Bin start (ms from handover.at) -> concealment events on the new / the old connection. */
const bins = new Map<number, { asNew: number; asOld: number }>();
let switchesSeen = 0;
if (dirs.length === 0) {
  console.error(
    'usage: node --import tsx bench/handover/concealment.ts DIR [DIR ...] [--verbose] [--around]',
  );
  process.exit(2);
}
const recordings: { dir: string; file: string }[] = [];
for (const dir of dirs) {
  try {
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('-sdk.pcm'))
      .sort())
      recordings.push({ dir, file });
  } catch (err) {
    console.error(`cannot read ${dir}: ${(err as Error).message}`);
    process.exit(1);
  }
}

const perMs = SAMPLE_RATE / 1000;
let probed = 0;
for (const { dir, file } of recordings) {
  const name = file.slice(0, -'.pcm'.length);
  const saved = loadRecording(dir, name);
  const probes = saved.events.filter((e) => e.type === 'probe') as (PageEvent & {
    data: Counters[];
  })[];
  if (probes.length === 0) {
    console.log(`${dir}/${name}: no probe events (run.ts without --probe-ms)`);
    continue;
  }
  probed += 1;
  const switches = saved.events
    .filter((e) => e.type === 'rekey')
    .map((e) => e.data as RekeyReport)
    .filter((r) => r.handover !== null)
    .map((r) => ({ generation: r.generation, at: r.handover!.at }));
  if (switches.length === 0) {
    console.log(`${dir}/${name}: no switch on record`);
    continue;
  }
  switchesSeen += switches.length;
  const handoverOf = new Map(switches.map((sw) => [sw.generation, sw.at]));
  const count = (at: number | undefined, t: number, events: number, key: 'asNew' | 'asOld') => {
    if (at === undefined || t - at < AROUND_MS.from || t - at >= AROUND_MS.to) return;
    const bin = Math.floor((t - at) / BIN_MS) * BIN_MS;
    const entry = bins.get(bin) ?? { asNew: 0, asOld: 0 };
    entry[key] += events;
    bins.set(bin, entry);
  };
  for (let i = 1; i < probes.length; i++) {
    for (const now of probes[i]!.data) {
      const then = probes[i - 1]!.data.find((c) => c.pc === now.pc);
      if (!then) continue;
      const events = (now.concealmentEvents ?? 0) - (then.concealmentEvents ?? 0);
      if (events <= 0) continue;
      count(handoverOf.get(now.pc), probes[i]!.at, events, 'asNew');
      count(handoverOf.get(now.pc + 1), probes[i]!.at, events, 'asOld');
    }
  }
  const playingAt = (t: number) =>
    switches.filter((s) => s.at <= t).pop()?.generation ?? switches[0]!.generation - 1;
  /** Per connection: counter increases between the last probe at or before `from` and the first at or after `to`. */
  const changes = (from: number, to: number) => {
    const before = probes.filter((p) => p.at <= from).pop();
    const after = probes.find((p) => p.at >= to);
    if (!before || !after) return null;
    const out = new Map<number, { concealed: number; stretched: number }>();
    for (const now of after.data) {
      const then = before.data.find((c) => c.pc === now.pc);
      // A connection created inside the interval starts from zero.
      const concealed = (now.concealmentEvents ?? 0) - (then?.concealmentEvents ?? 0);
      const stretched =
        (now.insertedSamplesForDeceleration ?? 0) - (then?.insertedSamplesForDeceleration ?? 0);
      out.set(now.pc, { concealed, stretched });
    }
    return out;
  };

  const decoded = decode(saved.pcm, SENDER_SEED);
  const good = decoded.runs.filter((r) => r.index >= 0);
  const firstHeard = switches[0]!.at - saved.startedAt;
  const tally = {
    steps: 0,
    playing: 0,
    both: 0,
    otherOnly: 0,
    stretchOnly: 0,
    none: 0,
    unprobed: 0,
  };
  // All of them keep the base rate's instants away from steps; the scored ones start at the first switch.
  const allSteps = heardSteps(good, perMs);
  for (const { atMs: heardMs, stepMs: step } of allSteps.filter((s) => s.fromMs >= firstHeard)) {
    tally.steps += 1;
    const heardAt = saved.startedAt + heardMs;
    const playing = playingAt(heardAt);
    const seen = changes(heardAt - LOOKBACK_MS, heardAt);
    let verdict: string;
    if (!seen) {
      tally.unprobed += 1;
      verdict = 'no probe around it';
    } else {
      const concealing = [...seen].filter(([, c]) => c.concealed > 0).map(([pc]) => pc);
      const stretching = [...seen].filter(([, c]) => c.stretched > 0).map(([pc]) => pc);
      if (concealing.includes(playing) && concealing.length > 1) {
        tally.both += 1;
        tally.playing += 1;
        verdict = `concealment on the playing connection and ${concealing.length - 1} other`;
      } else if (concealing.includes(playing)) {
        tally.playing += 1;
        verdict = 'concealment on the playing connection';
      } else if (concealing.length > 0) {
        tally.otherOnly += 1;
        verdict = `concealment on connection ${concealing.join(', ')} only`;
      } else if (stretching.includes(playing)) {
        tally.stretchOnly += 1;
        verdict = 'stretching on the playing connection';
      } else {
        tally.none += 1;
        verdict = 'no concealment or stretching counted';
      }
    }
    const since = switches
      .map((s) => heardAt - s.at)
      .filter((ms) => ms >= -LOOKBACK_MS && ms < 1000)
      .map((ms) => `${ms.toFixed(0)} ms after handover.at`);
    if (verbose)
      console.log(
        `  ${(heardMs / 1000).toFixed(2)} s: ${step > 0 ? '+' : ''}${step.toFixed(1)} ms, ` +
          `generation ${playing} playing: ${verdict}${since.length ? ` (${since.join(', ')})` : ''}`,
      );
  }
  // The check's own base rate: instants a second apart, away from any step, whose lookback
  // shows concealment on the connection playing all the same. Near 0: the attribution means something.
  let instants = 0;
  let concealedAnyway = 0;
  for (let t = firstHeard + LOOKBACK_MS; t < saved.pcm.length / perMs - 1000; t += 1000) {
    if (allSteps.some((s) => Math.abs(s.atMs - t) < 1000)) continue;
    const seen = changes(saved.startedAt + t - LOOKBACK_MS, saved.startedAt + t);
    if (!seen) continue;
    instants += 1;
    if ((seen.get(playingAt(saved.startedAt + t))?.concealed ?? 0) > 0) concealedAnyway += 1;
  }
  console.log(
    `${dir}/${name}: ${tally.steps} steps over ${STEP_MS} ms; concealment on the playing connection ` +
      `${tally.playing} (also on another at once: ${tally.both}), on another only ` +
      `${tally.otherOnly}, stretching only ${tally.stretchOnly}, nothing counted ${tally.none}` +
      (tally.unprobed ? `, no probe ${tally.unprobed}` : '') +
      `; base rate: ${concealedAnyway} of ${instants} step-free instants show concealment`,
  );
}
if (probed === 0) process.exit(1);
if (around) {
  console.log(
    `concealment events around ${switchesSeen} switches, per ${BIN_MS} ms from handover.at (page time):`,
  );
  console.log('  from ms   new  old');
  for (let bin = AROUND_MS.from; bin < AROUND_MS.to; bin += BIN_MS) {
    const entry = bins.get(bin) ?? { asNew: 0, asOld: 0 };
    console.log(
      `  ${String(bin).padStart(7)} ${String(entry.asNew).padStart(5)} ${String(entry.asOld).padStart(4)}`,
    );
  }
}
