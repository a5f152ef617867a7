// One measured call: sender page -> receiver page, only the receiver heard at a private sink.
import type { Browser, Page } from '@playwright/test';
import { baseURL, type BrowserName } from '../support/browsers';
import { relaySignaling, type Relay, type RelayOptions } from '../support/signaling';
import { decode, measureAround, type Decoded, type Disruption } from './decode';
import {
  createSink,
  launchAudioBrowser,
  record,
  startDisplay,
  type Display,
  type Recording,
  type Sink,
} from './sound';

export const AUDIO_PAGE = '/e2e/audio/audio-page.html';
export const SENDER_SEED = 1;
export const RECEIVER_SEED = 2;

export interface PageEvent {
  type: string;
  at: number;
  data: unknown;
}

/** Options of the measurement page, passed in its URL (see audio-page.mjs). */
export interface PageOptions {
  /** Another build of the SDK to load (bench comparisons). */
  sdk?: string;
  /** Calibration: every aligned switch lands this many ms off (bench/handover --calibrate). */
  markMs?: number;
  /** Diagnostics: the page records how long each playout measurement took on its main thread. */
  timing?: boolean;
}

export async function openAudioPage(browser: Browser, options: PageOptions = {}): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  const url = new URL(AUDIO_PAGE, baseURL());
  if (options.sdk) url.searchParams.set('sdk', options.sdk);
  if (options.markMs !== undefined) url.searchParams.set('mark', String(options.markMs));
  if (options.timing) url.searchParams.set('timing', '1');
  await page.goto(url.href);
  await page.waitForFunction(
    () => (window as unknown as { harnessReady?: boolean }).harnessReady === true,
    undefined,
    {
      timeout: 15_000,
    },
  );
  return page;
}

export async function pageEvents(page: Page, type?: string): Promise<PageEvent[]> {
  const events = await page.evaluate(() => (window as unknown as { events: PageEvent[] }).events);
  return type ? events.filter((e) => e.type === type) : events;
}

export interface Rig {
  sink: Sink;
  display: Display | null;
  browsers: Map<BrowserName, Browser>;
  close(): Promise<void>;
}

/** Launches what a sender/receiver pairing needs: one browser per kind, a sink, Xvfb for Chromium. */
export async function startRig(kinds: BrowserName[]): Promise<Rig> {
  const sink = await createSink();
  const display = kinds.includes('chromium') ? await startDisplay() : null;
  const browsers = new Map<BrowserName, Browser>();
  const close = async () => {
    for (const browser of browsers.values()) await browser.close().catch(() => undefined);
    await display?.stop();
    await sink.unload();
  };
  try {
    for (const kind of new Set(kinds))
      browsers.set(kind, await launchAudioBrowser(kind, { sink, ...(display ? { display } : {}) }));
  } catch (error) {
    await close();
    throw error;
  }
  return { sink, display, browsers, close };
}

export interface Pair {
  sender: Page;
  receiver: Page;
  relay: Relay;
}

/** Closes both pages' contexts, so nothing of this pair plays any more. */
export async function closePair(pair: Pair): Promise<void> {
  pair.relay.stop();
  await pair.sender
    .context()
    .close()
    .catch(() => undefined);
  await pair.receiver
    .context()
    .close()
    .catch(() => undefined);
}

export async function openPair(
  rig: Rig,
  sender: BrowserName,
  receiver: BrowserName,
  relay: RelayOptions,
  options: PageOptions = {},
): Promise<Pair> {
  const senderPage = await openAudioPage(rig.browsers.get(sender)!, options);
  const receiverPage = await openAudioPage(rig.browsers.get(receiver)!, options);
  return {
    sender: senderPage,
    receiver: receiverPage,
    relay: await relaySignaling(senderPage, receiverPage, relay),
  };
}

export interface Heard {
  decoded: Decoded;
  recording: Recording;
  /** Disruption around each instant (Date.now() values). */
  around: Disruption[];
  /** The same measure at instants half-way between switches: what the call does anyway. */
  control: Disruption[];
}

/**
 * Decodes `pcm` and measures around each wall-clock instant. The window starts `beforeMs` before
 * the instant and ends `afterMs` after it (the output path adds some tens of ms of latency).
 */
export function analyse(
  pcm: Int16Array,
  recording: Recording,
  seed: number,
  instants: number[],
  beforeMs: number,
  afterMs: number,
  controlInstants?: number[],
): Omit<Heard, 'recording'> {
  const decoded = decode(pcm, seed);
  const toMs = (at: number) => at - recording.startedAt;
  const around = instants.map((at) => measureAround(decoded, toMs(at), beforeMs, afterMs));
  // Control: the same window where no switch is near. Given, or right after each switch's
  // window when it ends before the next re-key could start touching the audio (~400 ms before
  // the next switch).
  let controls = controlInstants;
  if (!controls) {
    controls = [];
    for (let i = 1; i < instants.length; i++) {
      const at = instants[i - 1]! + beforeMs + afterMs + beforeMs;
      if (at + afterMs <= instants[i]! - 400) controls.push(at);
    }
  }
  const control = controls.map((at) => measureAround(decoded, toMs(at), beforeMs, afterMs));
  return { decoded, around, control };
}

/**
 * Waits until the last 2 s at the sound server are the sender's tone, cleanly (at least 95 % of
 * its 10 ms symbols heard in place): a freshly launched headful Chromium can play garbled audio
 * for its first seconds, which a measurement must not take for a switch. Returns the share heard.
 */
export async function untilClean(
  recording: Recording,
  seed: number,
  timeoutMs = 30_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let share = 0;
  for (;;) {
    const pcm = recording.peek(2000);
    const symbols = Math.ceil(recording.samples / 480) + 2000;
    const heard = decode(pcm, seed, symbols).runs.filter((r) => r.index >= 0).length;
    share = heard / (pcm.length / 480);
    if (share >= 0.95 || Date.now() > deadline) return share;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export { record };
