// Handover benchmark: audio lost or garbled around each switch, as heard at the sound server.
//
//   node --import tsx bench/handover/run.ts [--rekeys 20] [--pairs chromium:chromium,...]
//        [--modes sdk,bbm] [--switch-ms 400] [--sdk /url/of/bundle.mjs] [--write] [--out file.json]
//
// For each sender:receiver pairing, in one run: the SDK's make-before-break (SecureCall, re-keys
// started with call.rekey() on the receiver) and a break-before-make baseline on raw
// RTCPeerConnections (close, then offer/answer a new one), both with 50 ms signaling delay each
// way. Only the receiver page plays, into a private PulseAudio null sink recorded with parec;
// the stepped-tone signal (e2e/audio/signal.mjs) is decoded per 10 ms symbol (e2e/audio/decode.ts).
// The same measure taken half-way between switches ("control") shows what the call loses anyway
// (CPU contention, jitter-buffer adaptation), so a switch can be told apart from the background.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeBenchmarksSection } from '../benchmarks-file.mjs';
import { cpus, loadavg } from 'node:os';
import globalSetup from '../../e2e/support/global-setup';
import type { BrowserName } from '../../e2e/support/browsers';
import { median, type Disruption } from '../../e2e/audio/decode';
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
  type PageEvent,
  type Rig,
} from '../../e2e/audio/session';

const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1]! : fallback;
};
const REKEYS = Number(option('rekeys', '20'));
const PAIRS = option('pairs', 'chromium:chromium,firefox:firefox,chromium:firefox,firefox:chromium')
  .split(',')
  .map((p) => p.split(':') as [BrowserName, BrowserName]);
const MODES = option('modes', 'sdk,bbm').split(',');
const SWITCH_MS = args.includes('--switch-ms') ? Number(option('switch-ms', '')) : null;
const SDK = args.includes('--sdk') ? option('sdk', '') : undefined;
const OUT = option('out', 'bench/handover/last-run.json');
// --save DIR: keep each row's raw recording (s16le 48 kHz mono) and switch instants, for analysis.
const SAVE = args.includes('--save') ? option('save', 'bench/.out/handover') : null;
const SIGNALING_DELAY_MS = 50;
// SDK: a window around the receiver's crossfade instant, 200 ms before (the output path adds
// some tens of ms after it) to 800 ms after (the new connection alone, its jitter buffer young).
const SDK_BEFORE_MS = 200;
const SDK_AFTER_MS = 800;
/** After each SDK re-key: room for a control window with no re-key under way. */
const GAP_MS = 1500;
// Baseline: around the sender's close, 100 ms before to 600 ms after: the output path adds
// ~100 ms and the hole lasts ~250 ms after that.
const BBM_BEFORE_MS = 100;
const BBM_AFTER_MS = 600;
const BBM_SPACING_MS = 2200;

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

interface Result {
  pair: string;
  mode: string;
  switches: Disruption[];
  control: Disruption[];
  /** SDK rows: how the receiver's playout switched each time (its rekey reports). */
  handovers?: HandoverInfo[];
  loadBefore: number;
  loadAfter: number;
  note?: string;
}

type Win = {
  startCall(o: unknown): Promise<unknown>;
  startRaw(o: unknown): Promise<unknown>;
  rawSwitch(): Promise<void>;
  call: { rekey(): Promise<unknown> };
};

async function runSdk(
  rig: Rig,
  sender: BrowserName,
  receiver: BrowserName,
): Promise<Omit<Result, 'pair' | 'mode' | 'loadBefore' | 'loadAfter'>> {
  const pair = await openPair(rig, sender, receiver, { delayMs: SIGNALING_DELAY_MS }, SDK);
  try {
    const recording = await record(rig.sink, REKEYS * 8_000 + 30_000);
    const rekey = {
      intervalMs: 3_600_000,
      ...(SWITCH_MS === null ? {} : { switchMs: SWITCH_MS }),
    };
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
      }),
    ]);
    // Past the first connection's own jitter-buffer convergence before the first re-key.
    await sleep(3000);
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
    const events = await pageEvents(pair.receiver);
    save(`${sender}-${receiver}-sdk`, pcm, recording.startedAt, events);
    const reports = events.filter((e) => e.type === 'rekey');
    const handovers = reports.map((e) => (e.data as RekeyReport).handover);
    // The receiver's crossfade instant (its report's handover.at); the audio output path adds
    // some tens of ms, inside the window.
    const switches = handovers.flatMap((h) => (h ? [h.at] : []));
    // Control windows: in each gap between one re-key's end and the next one's start.
    const starts = events.filter((e) => e.type === 'rekeystart').map((e) => e.at);
    const controls: number[] = [];
    for (const end of reports.map((e) => e.at)) {
      const at = end + 300 + SDK_BEFORE_MS;
      const next = starts.find((s) => s > end) ?? Infinity;
      if (at + SDK_AFTER_MS <= next - 100) controls.push(at);
    }
    const heard = analyse(
      pcm,
      recording,
      SENDER_SEED,
      switches,
      SDK_BEFORE_MS,
      SDK_AFTER_MS,
      controls,
    );
    const missing = REKEYS - switches.length;
    const notes = [
      ...(failures ? [`${failures} re-keys failed`] : []),
      ...(missing > 0 ? [`${missing} re-keys without a handover report`] : []),
    ];
    return {
      switches: heard.around,
      control: heard.control,
      handovers: handovers.filter((h): h is HandoverInfo => h !== null),
      ...(notes.length ? { note: notes.join('; ') } : {}),
    };
  } finally {
    await closePair(pair);
  }
}

async function runBbm(
  rig: Rig,
  sender: BrowserName,
  receiver: BrowserName,
): Promise<Omit<Result, 'pair' | 'mode' | 'loadBefore' | 'loadAfter'>> {
  const pair = await openPair(rig, sender, receiver, { delayMs: SIGNALING_DELAY_MS });
  try {
    const recording = await record(rig.sink, REKEYS * BBM_SPACING_MS * 2 + 30_000);
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
    for (let i = 0; i < REKEYS; i++) {
      const started = Date.now();
      await pair.sender.evaluate(() => (window as unknown as Win).rawSwitch());
      await sleep(Math.max(0, BBM_SPACING_MS - (Date.now() - started)));
    }
    await sleep(1000);
    const pcm = await recording.stop();
    // The hole starts when the sender closes; the receiver's output latency is the same as in
    // the SDK runs, so the same window relative to the switch instant is used.
    const events = await pageEvents(pair.sender, 'raw-switch');
    save(`${sender}-${receiver}-bbm`, pcm, recording.startedAt, events);
    const switches = events.map((e) => e.at);
    const heard = analyse(pcm, recording, SENDER_SEED, switches, BBM_BEFORE_MS, BBM_AFTER_MS);
    return { switches: heard.around, control: heard.control };
  } finally {
    await closePair(pair);
  }
}

/** --save: the raw recording (s16le, 48 kHz, mono) and the page's events, for analysis. */
function save(name: string, pcm: Int16Array, startedAt: number, events: PageEvent[]): void {
  if (!SAVE) return;
  mkdirSync(SAVE, { recursive: true });
  writeFileSync(`${SAVE}/${name}.pcm`, Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  writeFileSync(`${SAVE}/${name}.json`, JSON.stringify({ startedAt, events }));
}

function summary(values: number[]): string {
  if (values.length === 0) return 'n/a';
  return `${median(values).toFixed(1)} / ${Math.max(...values).toFixed(1)}`;
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
        const d = entry.switches.map((s) => s.disruptionMs);
        const c = entry.control.map((s) => s.disruptionMs);
        console.log(
          `${entry.pair} ${mode}: n=${d.length} disruption median/worst ${summary(d)} ms; ` +
            `control ${summary(c)} ms; load ${loadBefore.toFixed(1)}->${entry.loadAfter.toFixed(1)} (${((Date.now() - t) / 1000).toFixed(0)} s)` +
            (entry.note ? `; ${entry.note}` : ''),
        );
      }
    } finally {
      await rig.close();
    }
  }
} finally {
  await teardown();
}

const meta: Meta = {
  date: startedAt.toISOString(),
  command: `node --import tsx bench/handover/run.ts ${args.join(' ')}`.trim(),
  cores: cpus().length,
  rekeys: REKEYS,
  switchMs: SWITCH_MS,
  sdk: SDK ?? '/dist/rekey-rtc.mjs',
  windowMs: {
    sdk: { before: SDK_BEFORE_MS, after: SDK_AFTER_MS },
    baseline: { before: BBM_BEFORE_MS, after: BBM_AFTER_MS },
  },
};
mkdirSync(dirname(OUT), { recursive: true });
writeFileSync(OUT, JSON.stringify({ meta, results }, null, 1));
console.log(`wrote ${OUT}`);
if (args.includes('--write')) await writeSection([{ meta, results }]);

interface Meta {
  date: string;
  command: string;
  cores: number;
  rekeys: number;
  switchMs: number | null;
  sdk: string;
  windowMs: { sdk: Window; baseline: Window };
}

interface Window {
  before: number;
  after: number;
}

function table(rs: Result[]): string[] {
  const rows = rs.map((r) => {
    const d = r.switches.map((s) => s.disruptionMs);
    const g = r.switches.map((s) => s.garbledMs);
    const j = r.switches.map((s) => s.jumpMs);
    const c = r.control.map((s) => s.disruptionMs);
    const within = d.filter((x) => x <= 10).length;
    const aligned = r.handovers
      ? `${r.handovers.filter((h) => h.method === 'aligned' && h.shortfallMs === 0).length}/${r.handovers.length}`
      : '-';
    return `| ${r.pair} | ${r.mode === 'sdk' ? 'make-before-break (SDK)' : 'break-before-make (baseline)'} | ${d.length} | ${summary(d)} | ${summary(g)} | ${summary(j)} | ${within}/${d.length} | ${aligned} | ${summary(c)} | ${r.loadBefore.toFixed(1)}-${r.loadAfter.toFixed(1)} |`;
  });
  return [
    '| sender -> receiver | mode | switches | disruption | garbled | jump | <= 10 ms | aligned | control | load avg |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ];
}

async function writeSection(runs: { meta: Meta; results: Result[] }[]): Promise<void> {
  const { sdk, baseline } = runs[0]!.meta.windowMs;
  const section = [
    'Audio lost or garbled around each switch, as heard at the sound server: the receiver page plays',
    '`remoteStream` into a private PulseAudio null sink recorded with `parec` (Chromium headful under',
    'Xvfb, Firefox headless); the sender sends a tone stepping every 10 ms through a pseudo-random',
    'sequence of 16 frequencies, decoded per symbol. Each switch is scored over a window that holds',
    `all of it: for the SDK ${sdk.before} ms before to ${sdk.after} ms after the receiver's crossfade (its`,
    "`rekey` report's `handover.at`), for the baseline",
    `${baseline.before} ms before to ${baseline.after} ms after the sender closes the old connection.`,
    '**garbled** = time not covered by correctly heard symbols (silence, concealment, mixed or wrong',
    'tones), **jump** = skips and repeats of the timeline between correct symbols,',
    '**disruption** = garbled + jump. **aligned** = switches the receiver reports as measured, checked',
    'and aligned with no shortfall. **control** = an SDK-length window where no re-key is under way:',
    'what the call loses with no switch at all (jitter-buffer stretching, CPU contention). Signaling',
    `delay ${SIGNALING_DELAY_MS} ms each way. Values are median / worst in ms; load avg is the`,
    '1-minute load average before-after each row (2 cores: anything above 2 means CPU contention).',
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
