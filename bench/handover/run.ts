// Handover benchmark: audio lost or garbled around each switch, as heard at the sound server.
//
//   node --import tsx bench/handover/run.ts [--rekeys 20] [--pairs chromium:chromium,...]
//        [--modes sdk,bbm] [--switch-ms 6000] [--sdk /url/of/bundle.mjs] [--write]
//        [--out file.json] [--save DIR] [--warm-up 1] [--audio-output remoteStream|speaker]
//        [--no-realtime] [--probe-ms 50] [--timing]
//   node --import tsx bench/handover/run.ts --calibrate [--rekeys 10] [--pairs ...]
//   node --import tsx bench/handover/run.ts --report a.json [b.json ...]
//
// For each sender:receiver pairing, in one run: the SDK's make-before-break (SecureCall, re-keys
// started with call.rekey() on the receiver) and a break-before-make baseline on raw
// RTCPeerConnections (close, then offer/answer a new one), both with 50 ms signaling delay each
// way. Only the receiver page plays, into a private PulseAudio null sink recorded with parec;
// the stepped-tone signal (e2e/audio/signal.mjs) is decoded per 10 ms symbol (e2e/audio/decode.ts).
// Re-keys start once the recording is clean (a fresh headful Chromium can garble its first
// seconds). The same measure taken where no re-key is under way ("control") shows what the call
// loses anyway (jitter-buffer stretching, CPU contention), so a switch can be told apart from it.
//
// Where an SDK switch is heard: the receiver's rekey report says when its crossfade began
// (handover.at, the page's clock); the audio output path adds a latency of its own, measured by
// --calibrate: every aligned switch is made to land 8 ms off (the page's ?mark= hook), and the
// bench finds each of those jumps in the recording.
//
// The browsers' audio threads run real-time (SCHED_FIFO), as rtkit makes them on a desktop
// (bench/handover/realtime.ts); --no-realtime leaves them at normal priority, where they miss
// deadlines under the run's own load and the sound server hears silence inserted.
//
// --probe-ms MS (diagnostics): the receiver page records its connections' inbound audio counters
// every MS ms; bench/handover/concealment.ts then says which connection each heard step came from.
// --timing (diagnostics): both pages record how long each playout measurement held their main
// thread ('measure' events); with --save, the sender's events go to NAME.sender-events.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { writeBenchmarksSection } from '../benchmarks-file.mjs';
import { keepAudioRealtime } from './realtime';
import { AROUND, controlWindows, SWITCH_WINDOWS } from './windows';
import { loadRecording, saveRecording } from './saved';
import globalSetup from '../../e2e/support/global-setup';
import type { BrowserName } from '../../e2e/support/browsers';
import { decode, measureAround, median, type Disruption } from '../../e2e/audio/decode';
import type { HandoverInfo, RekeyReport } from '../../src/types';
import {
  analyse,
  closePair,
  openPair,
  pageEvents,
  RECEIVER_SEED,
  record,
  SENDER_SEED,
  startRig,
  untilClean,
  type PageEvent,
  type Rig,
} from '../../e2e/audio/session';
import type { Recording } from '../../e2e/audio/sound';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const CALIBRATE = args.includes('--calibrate');
const REKEYS = Number(option('rekeys', CALIBRATE ? '10' : '20'));
const PAIRS = option(
  'pairs',
  CALIBRATE
    ? 'chromium:chromium,firefox:firefox'
    : 'chromium:chromium,firefox:firefox,chromium:firefox,firefox:chromium',
)
  .split(',')
  .map((p) => p.split(':') as [BrowserName, BrowserName]);
const MODES = CALIBRATE ? ['sdk'] : option('modes', 'sdk,bbm').split(',');
const SWITCH_MS = args.includes('--switch-ms') ? Number(option('switch-ms', '')) : null;
const SDK = args.includes('--sdk') ? option('sdk', '') : undefined;
const OUT = option('out', 'bench/handover/last-run.json');
const SAVE = args.includes('--save') ? option('save', 'bench/.out/handover') : null;
/** Who plays the receiver's audio: the page's <audio> element, or the SDK itself. */
const AUDIO_OUTPUT = option('audio-output', 'remoteStream');
if (AUDIO_OUTPUT !== 'remoteStream' && AUDIO_OUTPUT !== 'speaker')
  throw new Error("--audio-output: 'remoteStream' or 'speaker'");
/** Re-keys before the scored ones (see runSdk). */
const WARM_UP = Number(option('warm-up', '1'));
if (!Number.isInteger(WARM_UP) || WARM_UP < 0) throw new Error('--warm-up: a whole number >= 0');
const SIGNALING_DELAY_MS = 50;
const REALTIME = !args.includes('--no-realtime');
/** Diagnostics: the receiver page samples its connections' inbound audio stats this often (ms). */
const PROBE_MS = args.includes('--probe-ms') ? Number(option('probe-ms', '')) : null;
/** Diagnostics: both pages record each playout measurement's main-thread time ('measure' events). */
const TIMING = args.includes('--timing');
if (PROBE_MS !== null && !(PROBE_MS >= 10)) throw new Error('--probe-ms: a number of ms >= 10');

const SWITCH_WINDOW = SWITCH_WINDOWS[AUDIO_OUTPUT];
/** After each SDK re-key: room for a 1 s control window with no re-key under way. */
const GAP_MS = 1500;
/** Baseline: around the sender's close; the output path adds ~100-250 ms, the hole ~250 ms. */
const BBM = { before: 100, after: 600 };
const BBM_SPACING_MS = 2200;
/** Calibration: how far off every aligned switch is made to land. */
const MARK_MS = 8;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

interface Window {
  before: number;
  after: number;
}

interface Result {
  pair: string;
  mode: string;
  /** SDK: the switch window at the heard crossfade; baseline: the window holding the hole. */
  switches: Disruption[];
  /** SDK: the 1 s around each switch. */
  around?: Disruption[];
  /** Windows of the `around` length (SDK) or the switch length (baseline) with no re-key. */
  control: Disruption[];
  /** SDK: windows of the switch length at the middle of each control window. */
  controlAt?: Disruption[];
  /** SDK rows: how the receiver's playout switched each time (its rekey reports). */
  handovers?: HandoverInfo[];
  /** Calibration: where each marked switch was heard, ms after handover.at. */
  heardAfterMs?: (number | null)[];
  /** Share of the tone heard cleanly in the 2 s before the first re-key. */
  cleanBefore: number;
  loadBefore: number;
  loadAfter: number;
  note?: string;
}

type Win = {
  startCall(o: unknown): Promise<unknown>;
  startRaw(o: unknown): Promise<unknown>;
  rawSwitch(): Promise<void>;
  startProbe(ms: number): void;
  call: { rekey(): Promise<unknown> };
};

type Row = Omit<Result, 'pair' | 'mode' | 'loadBefore' | 'loadAfter'>;

async function runSdk(rig: Rig, sender: BrowserName, receiver: BrowserName): Promise<Row> {
  const pair = await openPair(
    rig,
    sender,
    receiver,
    { delayMs: SIGNALING_DELAY_MS },
    {
      ...(SDK ? { sdk: SDK } : {}),
      ...(CALIBRATE ? { markMs: MARK_MS } : {}),
      ...(TIMING ? { timing: true } : {}),
    },
  );
  try {
    const recording = await record(rig.sink, REKEYS * 12_000 + 60_000);
    const rekey = { intervalMs: 3_600_000, ...(SWITCH_MS === null ? {} : { switchMs: SWITCH_MS }) };
    await Promise.all([
      pair.sender.evaluate((o) => (window as unknown as Win).startCall(o), {
        role: 'caller',
        play: false,
        seed: SENDER_SEED,
        rekey,
      }),
      pair.receiver.evaluate((o) => (window as unknown as Win).startCall(o), {
        role: 'callee',
        play: true,
        seed: RECEIVER_SEED,
        rekey,
        audioOutput: AUDIO_OUTPUT,
      }),
    ]);
    if (PROBE_MS !== null)
      await pair.receiver.evaluate((ms) => (window as unknown as Win).startProbe(ms), PROBE_MS);
    // Past the first connection's own jitter-buffer convergence, then one re-key that is not
    // scored: a fresh headful Chromium's output drifts in pitch (up to 2.6 % for some seconds,
    // seen at the sound server) when the page's second remote track starts playing; then a
    // clean recording.
    await sleep(3000);
    for (let i = 0; i < WARM_UP; i++) {
      await pair.receiver
        .evaluate(() => (window as unknown as Win).call.rekey())
        .catch(() => undefined);
      await sleep(GAP_MS);
    }
    const cleanBefore = await untilClean(recording, SENDER_SEED);
    const warmUp = (await pageEvents(pair.receiver, 'rekey')).length;
    let failures = 0;
    for (let i = 0; i < REKEYS; i++) {
      // Resolves once both connections overlapped, playout switched and the old one closed.
      await pair.receiver
        .evaluate(() => (window as unknown as Win).call.rekey())
        .catch(() => (failures += 1));
      await sleep(GAP_MS);
    }
    await sleep(1000);
    const pcm = await recording.stop();
    // Without the warm-up re-key's events: what is scored starts after it.
    const events = dropFirstRekeys(await pageEvents(pair.receiver), warmUp);
    save(`${sender}-${receiver}-sdk`, pcm, recording.startedAt, events);
    if (TIMING && SAVE)
      writeFileSync(
        `${SAVE}/${sender}-${receiver}-sdk.sender-events.json`,
        JSON.stringify(dropFirstRekeys(await pageEvents(pair.sender), warmUp)),
      );
    const heard = analyseSdk(pcm, recording.startedAt, events, receiver);
    const handovers = heard.handovers;
    const notes = [
      ...(failures ? [`${failures} re-keys failed`] : []),
      ...(handovers.length < REKEYS ? [`${REKEYS - handovers.length} without a handover`] : []),
      ...(cleanBefore < 0.95
        ? [`recording not clean before the re-keys (${(cleanBefore * 100).toFixed(0)} %)`]
        : []),
    ];
    return {
      ...heard,
      cleanBefore,
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  } finally {
    await closePair(pair);
  }
}

/** The page's events from the end of its first `count` re-keys on. */
function dropFirstRekeys(events: PageEvent[], count: number): PageEvent[] {
  const ends = events.filter((e) => e.type === 'rekey');
  const from = count > 0 ? ends[count - 1]?.at : undefined;
  return from === undefined ? events : events.filter((e) => e.at > from);
}

/** Scores a baseline row's recording: the window holding each hole, controls between them. */
function analyseBbm(
  pcm: Int16Array,
  startedAt: number,
  events: PageEvent[],
): Pick<Result, 'switches' | 'control'> {
  const heard = analyse(
    pcm,
    { startedAt } as Recording,
    SENDER_SEED,
    events.map((e) => e.at),
    BBM.before,
    BBM.after,
  );
  return { switches: heard.around, control: heard.control };
}

/** Scores an SDK row's recording: switch windows, the 1 s around them, controls. */
function analyseSdk(
  pcm: Int16Array,
  startedAt: number,
  events: PageEvent[],
  receiver: BrowserName,
): Pick<Result, 'switches' | 'around' | 'control' | 'controlAt' | 'heardAfterMs'> & {
  handovers: HandoverInfo[];
} {
  const reports = events.filter((e) => e.type === 'rekey');
  const handovers = reports
    .map((e) => (e.data as RekeyReport).handover)
    .filter((h): h is HandoverInfo => h !== null);
  const decoded = decode(pcm, SENDER_SEED);
  const toMs = (at: number) => at - startedAt;
  const { from, to } = SWITCH_WINDOW[receiver];
  // Control: in each gap between one re-key's end and the next one's start.
  const { at: controls, middle } = controlWindows(events, SWITCH_WINDOW[receiver]);
  return {
    switches: handovers.map((h) => measureAround(decoded, toMs(h.at), -from, to)),
    around: handovers.map((h) => measureAround(decoded, toMs(h.at), AROUND.before, AROUND.after)),
    control: controls.map((at) => measureAround(decoded, toMs(at), AROUND.before, AROUND.after)),
    controlAt: controls.map((at) => measureAround(decoded, toMs(at + middle), -from, to)),
    handovers,
    ...(CALIBRATE ? { heardAfterMs: marks(decoded, startedAt, handovers) } : {}),
  };
}

/** Calibration: the first jump of about MARK_MS after each crossfade began, in ms after it. */
function marks(
  decoded: ReturnType<typeof decode>,
  startedAt: number,
  handovers: HandoverInfo[],
): (number | null)[] {
  const good = decoded.runs.filter((r) => r.index >= 0);
  return handovers.map((h) => {
    const at = h.at - startedAt;
    for (let i = 1; i < good.length; i++) {
      const t = good[i]!.center / 48 - at;
      const jump = (good[i]!.delay - good[i - 1]!.delay) / 48;
      if (t > -100 && t < 600 && Math.abs(jump - MARK_MS) <= 3) return Math.round(t);
    }
    return null;
  });
}

async function runBbm(rig: Rig, sender: BrowserName, receiver: BrowserName): Promise<Row> {
  const pair = await openPair(rig, sender, receiver, { delayMs: SIGNALING_DELAY_MS });
  try {
    const recording = await record(rig.sink, REKEYS * BBM_SPACING_MS * 2 + 60_000);
    await pair.receiver.evaluate((o) => (window as unknown as Win).startRaw(o), {
      role: 'callee',
      play: true,
      seed: RECEIVER_SEED,
    });
    await pair.sender.evaluate((o) => (window as unknown as Win).startRaw(o), {
      role: 'caller',
      play: false,
      seed: SENDER_SEED,
    });
    await sleep(2000);
    const cleanBefore = await untilClean(recording, SENDER_SEED);
    for (let i = 0; i < REKEYS; i++) {
      const started = Date.now();
      await pair.sender.evaluate(() => (window as unknown as Win).rawSwitch());
      await sleep(Math.max(0, BBM_SPACING_MS - (Date.now() - started)));
    }
    await sleep(1000);
    const pcm = await recording.stop();
    // The hole starts when the sender closes.
    const events = await pageEvents(pair.sender, 'raw-switch');
    save(`${sender}-${receiver}-bbm`, pcm, recording.startedAt, events);
    return {
      ...analyseBbm(pcm, recording.startedAt, events),
      cleanBefore,
      ...(cleanBefore < 0.95
        ? { note: `recording not clean before the re-keys (${(cleanBefore * 100).toFixed(0)} %)` }
        : {}),
    };
  } finally {
    await closePair(pair);
  }
}

/** --save: the raw recording (s16le, 48 kHz, mono) and the page's events, for analysis. */
function save(name: string, pcm: Int16Array, startedAt: number, events: PageEvent[]): void {
  if (SAVE) saveRecording(SAVE, name, { pcm, startedAt, events });
}

function summary(values: number[]): string {
  if (values.length === 0) return 'n/a';
  return `${median(values).toFixed(1)} / ${Math.max(...values).toFixed(1)}`;
}

/** One line per row, for the console. */
function rowLine(r: Result): string {
  const d = r.switches.map((s) => s.disruptionMs);
  return (
    `${r.pair} ${r.mode}: n=${d.length} switch window median/worst ${summary(d)} ms, ` +
    `<= 10 ms ${within(r.switches)}` +
    (r.around ? `; 1 s around ${summary(r.around.map((s) => s.disruptionMs))}` : '') +
    `; control ${summary(r.control.map((s) => s.disruptionMs))} ms` +
    `; load ${r.loadBefore.toFixed(1)}->${r.loadAfter.toFixed(1)}` +
    (r.heardAfterMs ? `; heard after ${r.heardAfterMs.join(' ')} ms` : '') +
    (r.note ? `; ${r.note}` : '')
  );
}

const within = (ds: Disruption[], ms = 10) =>
  `${ds.filter((d) => d.disruptionMs <= ms).length}/${ds.length}`;

// --reanalyse run.json DIR: score again the raw recordings a --save run kept in DIR, with this
// file's windows (and decoder), into --out (and BENCHMARKS.md with --write). Pass the run's
// --audio-output again: it picks the switch windows.
if (args[0] === '--reanalyse') {
  const file = args[1];
  const dir = args[2];
  if (!file || !dir) throw new Error('usage: --reanalyse run.json DIR');
  const run = JSON.parse(readFileSync(file, 'utf8')) as { meta: Meta; results: Result[] };
  for (const r of run.results) {
    const [sender, receiver] = r.pair.split('->') as [BrowserName, BrowserName];
    const saved = loadRecording(dir, `${sender}-${receiver}-${r.mode}`);
    Object.assign(
      r,
      r.mode === 'sdk'
        ? analyseSdk(saved.pcm, saved.startedAt, saved.events, receiver)
        : analyseBbm(saved.pcm, saved.startedAt, saved.events),
    );
  }
  run.meta.windowMs = { switch: SWITCH_WINDOW, around: AROUND, baseline: BBM };
  mkdirSync(dirname(OUT), { recursive: true });
  writeFileSync(OUT, JSON.stringify(run, null, 1));
  console.log(`wrote ${OUT}`);
  for (const r of run.results) console.log(rowLine(r));
  if (args.includes('--write')) await writeSection([run]);
  process.exit(0);
}

// --report a.json b.json ...: only (re)write the BENCHMARKS.md section from earlier runs.
if (args[0] === '--report') {
  const runs = args
    .slice(1)
    .map((file) => JSON.parse(readFileSync(file, 'utf8')) as { meta: Meta; results: Result[] });
  await writeSection(runs);
  process.exit(0);
}

const teardown = await globalSetup();
const results: Result[] = [];
const startedAt = new Date();
const realtime = REALTIME ? keepAudioRealtime() : null;
try {
  for (const [sender, receiver] of PAIRS) {
    const rig = await startRig([sender, receiver]);
    try {
      for (const mode of MODES) {
        const loadBefore = loadavg()[0]!;
        const t = Date.now();
        const result =
          mode === 'sdk'
            ? await runSdk(rig, sender, receiver)
            : await runBbm(rig, sender, receiver);
        const entry: Result = {
          pair: `${sender}->${receiver}`,
          mode,
          ...result,
          loadBefore,
          loadAfter: loadavg()[0]!,
        };
        results.push(entry);
        console.log(`${rowLine(entry)} (${((Date.now() - t) / 1000).toFixed(0)} s)`);
      }
    } finally {
      await rig.close();
    }
  }
} finally {
  realtime?.stop();
  await teardown();
}
if (realtime) console.log(`real-time audio threads: ${realtime.promoted}`);

const meta: Meta = {
  date: startedAt.toISOString(),
  command: `node --import tsx bench/handover/run.ts ${args.join(' ')}`.trim(),
  cores: cpus().length,
  rekeys: REKEYS,
  switchMs: SWITCH_MS,
  sdk: SDK ?? '/dist/rekey-rtc.mjs',
  audioOutput: AUDIO_OUTPUT,
  realtime: REALTIME,
  probeMs: PROBE_MS,
  calibrate: CALIBRATE,
  windowMs: { switch: SWITCH_WINDOW, around: AROUND, baseline: BBM },
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ meta, results }, null, 1));
console.log(`wrote ${OUT}`);
if (args.includes('--write') && !CALIBRATE) await writeSection([{ meta, results }]);

interface Meta {
  date: string;
  command: string;
  cores: number;
  rekeys: number;
  switchMs: number | null;
  sdk: string;
  /** Absent in runs from before the option (they played through the element). */
  audioOutput?: string;
  /** Absent in runs from before the option (normal priority). */
  realtime?: boolean;
  /** The receiver page's stats probe (--probe-ms), null without. */
  probeMs?: number | null;
  calibrate: boolean;
  windowMs: {
    switch: Record<BrowserName, { from: number; to: number }>;
    around: Window;
    baseline: Window;
  };
}

function table(rs: Result[]): string[] {
  const rows = rs.map((r) => {
    const sdk = r.mode === 'sdk';
    const cells = [
      r.pair,
      sdk ? 'make-before-break (SDK)' : 'break-before-make (baseline)',
      String(r.switches.length),
      summary(r.switches.map((s) => s.disruptionMs)),
      within(r.switches),
      r.around ? summary(r.around.map((s) => s.disruptionMs)) : '-',
      r.around ? within(r.around) : '-',
      r.controlAt ? within(r.controlAt) : '-',
      `${within(r.control)} (worst ${Math.max(0, ...r.control.map((s) => s.disruptionMs)).toFixed(1)})`,
      r.handovers
        ? `${r.handovers.filter((h) => h.method === 'aligned' && h.shortfallMs === 0).length}/${r.handovers.length}`
        : '-',
      `${r.loadBefore.toFixed(1)}-${r.loadAfter.toFixed(1)}`,
    ];
    return `| ${cells.join(' | ')} |`;
  });
  const notes = rs.filter((r) => r.note).map((r) => `- ${r.pair} ${r.mode}: ${r.note}`);
  return [
    '| sender -> receiver | mode | switches | switch window: disruption | <= 10 ms | 1 s around: disruption | <= 10 ms | control, switch-window length: <= 10 ms | control, 1 s: <= 10 ms | aligned | load avg |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(notes.length ? ['', ...notes] : []),
  ];
}

async function writeSection(runs: { meta: Meta; results: Result[] }[]): Promise<void> {
  const { switch: at, around, baseline } = runs[0]!.meta.windowMs;
  const section = [
    'Audio lost or garbled at each switch, as heard at the sound server: the receiver page plays',
    '`remoteStream` into a private PulseAudio null sink recorded with `parec` (Chromium headful under',
    'Xvfb, Firefox headless); the sender sends a tone stepping every 10 ms through a pseudo-random',
    'sequence of 16 frequencies, decoded per symbol. Re-keys start once the recording is clean.',
    '',
    "- **switch window**: SDK, where the receiver's crossfade can be heard: from its `rekey`",
    "  report's `handover.at` (when the crossfade began) plus the output path's latency, measured",
    `  with \`--calibrate\`: ${at.chromium.from} to ${at.chromium.to} ms after it for a Chromium receiver, ${at.firefox.from} to ${at.firefox.to} ms for`,
    `  Firefox. Baseline: ${baseline.before} ms before to ${baseline.after} ms after the sender closes the old connection`,
    '  (it holds the whole hole).',
    `- **1 s around**: SDK, ${around.before} ms before to ${around.after} ms after \`handover.at\`: the switch and what`,
    '  follows it (the new connection alone, its jitter buffer young).',
    "- **control**: windows of both lengths where no re-key is under way (between one re-key's end",
    "  and the next one's start): what the call loses anyway (jitter-buffer stretching, CPU",
    '  contention), the background against which a switch is judged.',
    '- **disruption** = **garbled** (time not covered by correctly heard symbols: silence,',
    '  concealment, mixed or wrong tones) + **jump** (skips and repeats of the timeline). Values',
    '  are median / worst in ms; "<= 10 ms" counts the windows at or under the 10 ms target.',
    "- **aligned**: switches the receiver's report calls `aligned` with no shortfall.",
    `- Signaling delay ${SIGNALING_DELAY_MS} ms each way; load avg is the 1-minute load average before-after each row`,
    '  (2 cores: above 2 means CPU contention).',
    ...(runs[0]!.meta.realtime
      ? [
          "- The browsers' and PulseAudio's audio threads run real-time (SCHED_FIFO, bench/handover/realtime.ts),",
          '  as rtkit makes them on a desktop; this machine has no rtkit. `--no-realtime` runs without.',
        ]
      : []),
    ...(runs.some((run) => run.meta.probeMs)
      ? [
          "- With the receiver page's stats probe (`--probe-ms`): getStats() on every open connection that often.",
        ]
      : []),
    '',
    ...runs.flatMap((run) => [
      `Run of ${run.meta.date.slice(0, 16).replace('T', ' ')} UTC: \`npm run build && ${run.meta.command}\``,
      `(SDK bundle ${run.meta.sdk}, rekey.switchMs ${run.meta.switchMs ?? 'default'}, ${run.meta.rekeys} re-keys per row, ${run.meta.cores} cores).`,
      '',
      ...table(run.results),
      '',
    ]),
  ].join('\n');
  await writeBenchmarksSection('Handover', section);
  console.log('wrote the Handover section of BENCHMARKS.md');
}
