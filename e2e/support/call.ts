// Placing a call between two pages and reading what each page saw.
import type { Browser, Page } from '@playwright/test';
import type { SecuritySnapshot } from '../../src/types';
import { openCallPage, problemsOf } from './browsers';
import type { PageCallOptions, RecordedEvent, StartResult } from './page-globals';
import { relaySignaling, type Relay, type RelayOptions } from './signaling';

export const ESM_PAGE = '/e2e/pages/call-esm.html';
export const SCRIPT_PAGE = '/e2e/pages/call-script.html';

export type StartOutcome = { ok: true; result: StartResult } | { ok: false; error: string };

/** `window.startCall(options)` in the page, settled either way. */
export async function startCall(page: Page, options: PageCallOptions): Promise<StartOutcome> {
  return page.evaluate(
    (o) =>
      window.startCall(o).then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error: String(error) }),
      ),
    options,
  );
}

export interface CallSide {
  browser: Browser;
  /** Page path. @default ESM_PAGE */
  page?: string;
  options?: Omit<PageCallOptions, 'role'>;
}

export interface PlacedCall {
  caller: Page;
  callee: Page;
  relay: Relay;
  callerStart: StartOutcome;
  calleeStart: StartOutcome;
}

/**
 * Opens one page per side, relays signaling between them and starts both calls (caller and
 * callee concurrently, as two apps would). Does not assert success: see expectStarted().
 */
export async function placeCall(
  caller: CallSide,
  callee: CallSide,
  relayOptions: RelayOptions = {},
): Promise<PlacedCall> {
  const [callerPage, calleePage] = await Promise.all([
    openCallPage(caller.browser, caller.page ?? ESM_PAGE),
    openCallPage(callee.browser, callee.page ?? ESM_PAGE),
  ]);
  const relay = await relaySignaling(callerPage, calleePage, relayOptions);
  const [callerStart, calleeStart] = await Promise.all([
    startCall(callerPage, { ...caller.options, role: 'caller' }),
    startCall(calleePage, { ...callee.options, role: 'callee' }),
  ]);
  return { caller: callerPage, callee: calleePage, relay, callerStart, calleeStart };
}

/** Throws with the page's errors and events when start() did not resolve. */
export async function expectStarted(page: Page, outcome: StartOutcome): Promise<StartResult> {
  if (outcome.ok) return outcome.result;
  const events = await recordedEvents(page).catch(() => []);
  throw new Error(
    `start() rejected: ${outcome.error}\npage problems: ${problemsOf(page).join(' | ')}\n` +
      `events: ${JSON.stringify(events, null, 1).slice(0, 4000)}`,
  );
}

export async function recordedEvents(page: Page, type?: string): Promise<RecordedEvent[]> {
  const events = await page.evaluate(() => window.events);
  return type ? events.filter((e) => e.type === type) : events;
}

export async function callState(page: Page): Promise<string | undefined> {
  return page.evaluate(() => window.call?.state);
}

export async function security(page: Page): Promise<SecuritySnapshot | null> {
  return page.evaluate(() =>
    window.call?.security ? structuredClone(window.call.security) : null,
  );
}

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * Polls until `read()` gives a value that `accept` takes, and returns it; throws after
 * `timeoutMs` with the last value seen. Used to wait on conditions, never as a fixed sleep.
 */
export async function waitFor<T>(
  what: string,
  read: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (accept(last)) return last;
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`,
      );
    }
    await sleep(50);
  }
}

/** Waits for the first recorded event of `type` whose payload `where` accepts. */
export async function waitForEvent(
  page: Page,
  type: string,
  where: (data: unknown) => boolean = () => true,
  timeoutMs = 15_000,
): Promise<RecordedEvent> {
  const events = await waitFor(
    `a '${type}' event`,
    () => recordedEvents(page, type),
    (list) => list.some((e) => where(e.data)),
    timeoutMs,
  );
  return events.find((e) => where(e.data))!;
}

/** Waits for a snapshot whose byte counters both passed those of `after`. */
export async function waitForBytesToGrow(
  page: Page,
  after: SecuritySnapshot,
  timeoutMs = 15_000,
): Promise<SecuritySnapshot> {
  const next = await waitFor(
    'byte counters to grow',
    () => security(page),
    (s) => !!s && s.bytesSent > after.bytesSent && s.bytesReceived > after.bytesReceived,
    timeoutMs,
  );
  return next!;
}
