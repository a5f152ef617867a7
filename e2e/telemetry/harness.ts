// Node side of the telemetry e2e: a fixture that owns collector processes, and helpers to place a
// call from e2e/telemetry/call-telemetry.html and read what its reporter did.
import type { Browser, Page } from '@playwright/test';
import {
  baseURL,
  expectStarted,
  openCallPage,
  relaySignaling,
  test as base,
  type PageCallOptions,
  type Relay,
  type RelayOptions,
  type StartOutcome,
} from '../support';
import { Collector, freePort, INGEST_KEY } from './collector';

export const TELEMETRY_PAGE = '/e2e/telemetry/call-telemetry.html';

/** A record as the page handed it to the reporter (JSON clone). */
export interface LoggedRecord {
  id: string;
  sessionId: string;
  seq: number;
  kind: string;
  role: 'caller' | 'callee';
  generation: number;
  data: Record<string, unknown>;
  [field: string]: unknown;
}

export interface TelemetryLog {
  enqueued: LoggedRecord[];
  /** Every POST to /v1/events: its record ids and HTTP status or network error. */
  requests: { at: number; ids: string[]; keepalive: boolean; outcome: number | string }[];
  delivered: { at: number; records: number; accepted: number; duplicates: number }[];
  /** The reporter's `telemetryerror` events. */
  errors: { at: number; code: string; message: string; status?: number }[];
  /** The call's `telemetryerror` events. */
  callErrors: { at: number; code: string; message: string; status?: number }[];
}

export interface TelemetryOptionsForPage {
  endpoint: string;
  headers?: Record<string, string>;
  batchSize?: number;
  flushIntervalMs?: number;
  retry?: { baseMs?: number; maxMs?: number };
  persist?: boolean;
}

declare global {
  interface Window {
    telemetryLog: TelemetryLog;
    reporter?: { readonly pending: number };
    resumeTelemetry(options: TelemetryOptionsForPage): void;
    storedRecordIds(): Promise<string[]>;
    storedRecords(): Promise<LoggedRecord[]>;
  }
}

/** Short intervals keep the tests short: a batch every 200 ms, retries within a second. */
export function telemetryOptions(collector: Collector): TelemetryOptionsForPage {
  return {
    endpoint: collector.endpoint,
    headers: { Authorization: `Bearer ${INGEST_KEY}` },
    flushIntervalMs: 200,
    retry: { baseMs: 200, maxMs: 1000 },
  };
}

export const test = base.extend<{
  /** Makes a collector deployment (not started) on a free port; killed and removed after. */
  collector: () => Promise<Collector>;
}>({
  // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form.
  collector: async ({}, use, testInfo) => {
    const made: Collector[] = [];
    await use(async () => {
      const collector = new Collector(await freePort(), new URL(baseURL()).origin);
      made.push(collector);
      return collector;
    });
    for (const collector of made) {
      if (testInfo.status !== testInfo.expectedStatus && collector.output.length > 0) {
        await testInfo.attach(`collector-${collector.port}.log`, {
          body: collector.output.join('\n'),
          contentType: 'text/plain',
        });
      }
      await collector.dispose();
    }
  },
});

export { expect } from '../support';

export interface TelemetryCallSide {
  browser: Browser;
  options: Omit<PageCallOptions, 'role'> & { telemetryOptions?: TelemetryOptionsForPage };
}

export interface TelemetryCall {
  caller: Page;
  callee: Page;
  relay: Relay;
  callId: string;
}

function startCall(page: Page, options: TelemetryCallSide['options'] & { role: string }) {
  return page.evaluate(
    (o) =>
      window.startCall(o as PageCallOptions).then(
        (result) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error: String(error) }),
      ),
    options,
  ) as Promise<StartOutcome>;
}

/** Opens the telemetry page for both sides, relays signaling, starts both and checks they did. */
export async function placeTelemetryCall(
  caller: TelemetryCallSide,
  callee: TelemetryCallSide,
  relayOptions: RelayOptions = { delayMs: 5 },
): Promise<TelemetryCall> {
  const [callerPage, calleePage] = await Promise.all([
    openCallPage(caller.browser, TELEMETRY_PAGE),
    openCallPage(callee.browser, TELEMETRY_PAGE),
  ]);
  const relay = await relaySignaling(callerPage, calleePage, relayOptions);
  const [callerStart, calleeStart] = await Promise.all([
    startCall(callerPage, { ...caller.options, role: 'caller' }),
    startCall(calleePage, { ...callee.options, role: 'callee' }),
  ]);
  await expectStarted(callerPage, callerStart);
  await expectStarted(calleePage, calleeStart);
  const callId = await callerPage.evaluate(
    () => (window.call as unknown as { callId: string }).callId,
  );
  return { caller: callerPage, callee: calleePage, relay, callId };
}

export function telemetryLog(page: Page): Promise<TelemetryLog> {
  return page.evaluate(() => window.telemetryLog);
}

/** Records the page's reporter has not had acknowledged yet (in flight or queued). */
export function pendingRecords(page: Page): Promise<number | null> {
  return page.evaluate(() => window.reporter?.pending ?? null);
}

/** Records in the page's IndexedDB store, whole. */
export function storedRecords(page: Page): Promise<LoggedRecord[]> {
  return page.evaluate(() => window.storedRecords());
}

export function storedRecordIds(page: Page): Promise<string[]> {
  return page.evaluate(() => window.storedRecordIds());
}

/** Re-key now from `page`; resolves with the new generation or throws the page's error. */
export async function rekeyNow(page: Page): Promise<number> {
  const outcome = await page.evaluate(() =>
    (window.call as unknown as { rekey(): Promise<{ generation: number }> }).rekey().then(
      (report) => ({ ok: true as const, generation: report.generation }),
      (error: unknown) => ({ ok: false as const, error: String(error) }),
    ),
  );
  if (!outcome.ok) throw new Error(`rekey() rejected: ${outcome.error}`);
  return outcome.generation;
}

/** Every IP address in the SDP the two pages exchanged (c= lines and candidates). */
export function addressesInSignaling(relay: Relay): string[] {
  const found = new Set<string>();
  for (const { message } of relay.log) {
    const text = JSON.stringify(message);
    for (const match of text.matchAll(/c=IN IP[46] ([0-9a-fA-F:.]+)/g)) found.add(match[1]!);
    for (const match of text.matchAll(/candidate:\S+ \d+ \S+ \d+ ([0-9a-fA-F:.]+) \d+ typ/g)) {
      found.add(match[1]!);
    }
  }
  return [...found];
}
