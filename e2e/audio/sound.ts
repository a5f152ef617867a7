// The sound server side of the measurements: a private PulseAudio null sink per measurement (so
// other tests playing into the shared sink cannot mix into ours), a bounded parec recording of
// its monitor, an Xvfb display for headful Chromium, and browsers launched onto both.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium, firefox, type Browser } from '@playwright/test';
import { CHROMIUM_ARGS, FIREFOX_PREFS, type BrowserName } from '../support/browsers';
import { SAMPLE_RATE } from './signal.mjs';

const run = promisify(execFile);

export interface Sink {
  name: string;
  /** PULSE_SERVER for clients of this sink's sound server. */
  server: string;
  unload(): Promise<void>;
}

let sinkCounter = 0;

/**
 * A private PulseAudio server with one null sink, at 48 kHz, for one measurement: other tests
 * playing into the shared server cannot mix into it, and nothing resamples between the browser
 * and the recording (the shared server's 44.1 kHz default made Chromium's output pitch-shifted
 * by 48/44.1 in some runs).
 */
export async function createSink(): Promise<Sink> {
  const dir = await mkdtemp(join(tmpdir(), `rekey-pulse-${process.pid}-${++sinkCounter}-`));
  await mkdir(join(dir, 'config', 'pulse'), { recursive: true });
  await writeFile(
    join(dir, 'config', 'pulse', 'daemon.conf'),
    'default-sample-rate = 48000\nalternate-sample-rate = 48000\ndefault-sample-channels = 2\n',
  );
  const socket = join(dir, 'native');
  const name = 'rekey';
  const child = spawn(
    'pulseaudio',
    [
      '-n',
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--use-pid-file=no',
      '--disallow-exit',
      `--load=module-null-sink sink_name=${name} rate=48000`,
      `--load=module-native-protocol-unix socket=${socket} auth-anonymous=1`,
    ],
    {
      stdio: 'ignore',
      env: {
        ...process.env,
        PULSE_RUNTIME_PATH: dir,
        XDG_CONFIG_HOME: join(dir, 'config'),
        HOME: dir,
      },
    },
  );
  const server = `unix:${socket}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await run('pactl', ['info'], { env: { ...process.env, PULSE_SERVER: server } }).then(
      () => true,
      () => false,
    );
    if (ok) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('private PulseAudio server did not start');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  let unloaded = false;
  return {
    name,
    server,
    unload: async () => {
      if (unloaded) return;
      unloaded = true;
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Recording {
  /** Date.now() at sample 0 (estimated from the first data's arrival). */
  readonly startedAt: number;
  /** Stops parec (if still running) and returns what it recorded. */
  stop(): Promise<Int16Array>;
  /** Samples recorded so far. */
  readonly samples: number;
  /** The last `ms` recorded so far (less at the start), without stopping. */
  peek(ms: number): Int16Array;
}

/**
 * Records `sink`'s monitor with parec, raw s16le 48 kHz mono. parec is killed by stop() or after
 * `maxMs`, whichever comes first, so a recording is always bounded.
 */
export async function record(sink: Sink, maxMs: number): Promise<Recording> {
  const child: ChildProcess = spawn(
    'parec',
    [
      '-d',
      `${sink.name}.monitor`,
      '--format=s16le',
      `--rate=${SAMPLE_RATE}`,
      '--channels=1',
      '--raw',
      '--latency-msec=10',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PULSE_SERVER: sink.server } },
  );
  const chunks: Buffer[] = [];
  let bytes = 0;
  let startedAt = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const firstData = new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (bytes === 0) startedAt = Date.now() - (chunk.length / 2 / SAMPLE_RATE) * 1000;
      chunks.push(chunk);
      bytes += chunk.length;
      resolve();
    });
  });
  const guard = setTimeout(() => child.kill('SIGTERM'), maxMs);
  await Promise.race([
    firstData,
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('parec produced no data in 5 s')), 5000),
    ),
  ]).catch((error) => {
    child.kill('SIGTERM');
    throw error;
  });
  return {
    get startedAt() {
      return startedAt;
    },
    get samples() {
      return Math.floor(bytes / 2);
    },
    peek: (ms: number) => {
      const wanted = Math.round((ms * SAMPLE_RATE) / 1000) * 2;
      const parts: Buffer[] = [];
      let have = 0;
      for (let i = chunks.length - 1; i >= 0 && have < wanted; i--) {
        parts.unshift(chunks[i]!);
        have += chunks[i]!.length;
      }
      const buffer = Buffer.concat(parts);
      const tail = buffer.subarray(Math.max(0, buffer.length - wanted) & ~1);
      const pcm = new Int16Array(Math.floor(tail.length / 2));
      for (let i = 0; i < pcm.length; i++) pcm[i] = tail.readInt16LE(i * 2);
      return pcm;
    },
    stop: async () => {
      clearTimeout(guard);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      const buffer = Buffer.concat(chunks);
      const pcm = new Int16Array(Math.floor(buffer.length / 2));
      for (let i = 0; i < pcm.length; i++) pcm[i] = buffer.readInt16LE(i * 2);
      return pcm;
    },
  };
}

export interface Display {
  name: string;
  stop(): Promise<void>;
}

/** Starts Xvfb on a free display number (-displayfd), for headful Chromium. */
export async function startDisplay(): Promise<Display> {
  const child = spawn(
    'Xvfb',
    ['-displayfd', '3', '-screen', '0', '640x480x24', '-nolisten', 'tcp'],
    {
      stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
    },
  );
  const number = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error('Xvfb did not report a display in 10 s')),
      10_000,
    );
    (child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) {
        clearTimeout(timer);
        resolve(text.trim());
      }
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}`)));
  });
  return {
    name: `:${number}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface AudioBrowserOptions {
  sink: Sink;
  /** Needed for Chromium: headless Chromium does not play into PulseAudio (FACTS.md). */
  display?: Display;
}

/**
 * Launches a browser that plays into `sink`: Chromium headful on `display`, Firefox headless.
 * Same flags and prefs as e2e/support/browsers.ts.
 */
export async function launchAudioBrowser(
  name: BrowserName,
  options: AudioBrowserOptions,
): Promise<Browser> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) env[key] = value;
  env.PULSE_SERVER = options.sink.server;
  env.PULSE_SINK = options.sink.name;
  if (name === 'chromium') {
    if (!options.display) throw new Error('Chromium needs a display to be heard');
    env.DISPLAY = options.display.name;
    return chromium.launch({
      executablePath: process.env.REKEY_CHROMIUM_PATH ?? '/usr/bin/chromium',
      headless: false,
      args: CHROMIUM_ARGS,
      env,
    });
  }
  return firefox.launch({
    channel: 'moz-firefox',
    executablePath: process.env.REKEY_FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: true,
    firefoxUserPrefs: FIREFOX_PREFS,
    env,
  });
}
