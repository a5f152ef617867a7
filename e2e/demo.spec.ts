// Issue 5: the demo, opened as a user would. `npm start`'s server runs as a child process on a
// free port; two pages create and join a room, press Start, and the panel must show what the
// SDK reports; "Re-key now" must advance the generation and the fingerprint; the collector's
// audit report must list the session. Screenshots are kept in test-results/ (not committed).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from '@playwright/test';
import type { SecuritySnapshot } from '../src/types';
import { type BrowserName, expect, test } from './support';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface DemoServer {
  url: string;
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `server/demo.ts` as `npm start` does (without the prestart build: global-setup checked dist/). */
async function startDemo(port = 0): Promise<DemoServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/demo.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), DEMO_COLLECTOR_DB: ':memory:' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`demo server did not start:\n${output}`)),
      30_000,
    );
    const read = (chunk: Buffer) => {
      output += chunk;
      const match = /running at (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on('data', read);
    child.stderr!.on('data', read);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`demo server exited (${code}):\n${output}`));
    });
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** What the specs read from a demo page's SecureCall (`window.call`). */
interface DemoCall {
  state: string;
  callId: string | null;
  generation: number;
  security: SecuritySnapshot | null;
}

async function callOf(page: Page): Promise<DemoCall | null> {
  return page.evaluate(() => {
    const call = window.call as unknown as DemoCall | undefined;
    if (!call) return null;
    return {
      state: call.state,
      callId: call.callId,
      generation: call.generation,
      security: call.security ? JSON.parse(JSON.stringify(call.security)) : null,
    };
  });
}

function shortFingerprint(fingerprint: string | null): string {
  if (!fingerprint) return '—';
  const pairs = fingerprint.split(':');
  return `${pairs.slice(0, 4).join(':')}…${pairs.slice(-4).join(':')}`;
}

/** The panel's text for each field, read in one go. */
async function panel(page: Page): Promise<Record<string, string>> {
  return page.evaluate(() => {
    const values: Record<string, string> = {};
    for (const element of document.querySelectorAll<HTMLElement>('.side [data-field]')) {
      values[element.dataset.field!] = element.textContent?.trim() ?? '';
    }
    return values;
  });
}

/** The panel shows exactly what `window.call.security` holds (read right after the panel). */
async function expectPanelMatchesSdk(page: Page): Promise<SecuritySnapshot> {
  let snapshot: SecuritySnapshot | null = null;
  await expect
    .poll(
      async () => {
        const shown = await panel(page);
        snapshot = (await callOf(page))?.security ?? null;
        if (!snapshot) return 'no snapshot yet';
        const s = snapshot;
        const expected = {
          generation: String(s.generation),
          dtlsVersion: s.dtlsVersion,
          dtlsCipher: s.dtlsCipher,
          srtpProfile: s.srtpProfile,
          forwardSecrecy: s.forwardSecrecy ? 'Yes' : 'No',
          localFingerprint: shortFingerprint(s.localFingerprint),
          remoteFingerprint: shortFingerprint(s.remoteFingerprint),
          verdict: s.compliant ? /^Compliant/ : /^Not compliant$/,
        };
        const problems = Object.entries(expected).filter(([field, want]) => {
          const got = shown[field] ?? '';
          if (want instanceof RegExp) return !want.test(got);
          return field === 'dtlsVersion' ? !got.startsWith(`DTLS ${want}`) : got !== want;
        });
        return problems.length === 0 ? 'match' : JSON.stringify({ shown, expected: snapshot });
      },
      { message: 'the security panel shows what the SDK reports', timeout: 10_000 },
    )
    .toBe('match');
  return snapshot!;
}

async function joinAndStart(page: Page): Promise<void> {
  await expect(page.locator('#signal-status')).toHaveText('In the room');
  await page.selectOption('#audio-source', 'tone');
  // Only the manual re-key below. (Set, not typed: Firefox's fill() appends to number inputs.)
  await page
    .locator('#rekey-interval')
    .evaluate((input: HTMLInputElement) => (input.value = '300'));
  await page.click('#start');
}

async function waitConnected(page: Page): Promise<void> {
  await expect.poll(async () => (await callOf(page))?.state, { timeout: 20_000 }).toBe('connected');
}

for (const name of ['chromium', 'firefox'] as BrowserName[]) {
  // Tagged @audio: its silence bound runs alone, after the parallel tests (playwright.config.ts).
  test(
    `demo in ${name}: two pages place a call, the panel tracks the SDK, re-key now, audit report`,
    { tag: '@audio' },
    async ({ launch }, testInfo) => {
      test.setTimeout(120_000);
      const demo = await startDemo();
      try {
        const browser = await launch(name);
        const desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
        const phone = await browser.newContext({ viewport: { width: 375, height: 812 } });
        const home = await desktop.newPage();
        const problems: string[] = [];
        const watch = (page: Page, label: string) =>
          page.on('pageerror', (error) => problems.push(`${label}: ${error.message}`));
        watch(home, 'home');

        // The start page creates a room and hands out the two links.
        await home.goto(demo.url);
        // No links before there is a room (they would point nowhere).
        await expect(home.getByRole('link', { name: 'Open as caller' })).toBeHidden();
        await home.getByRole('button', { name: 'Create room' }).click();
        await expect(home.getByRole('link', { name: 'Open as caller' })).toBeVisible();
        const callerLink = await home
          .getByRole('link', { name: 'Open as caller' })
          .getAttribute('href');
        const calleeLink = await home.getByLabel('Link for the other side (callee)').inputValue();
        expect(callerLink).toMatch(/\/call\.html\?room=[\w-]+&role=caller$/);
        await home.screenshot({
          path: testInfo.outputPath(`${name}-home.png`),
          fullPage: true,
          caret: 'initial',
        });

        const caller = home;
        await caller.goto(callerLink!);
        const callee = await phone.newPage();
        watch(callee, 'callee');
        await callee.goto(calleeLink);
        expect(await caller.evaluate(() => typeof window.RekeyRTC?.SecureCall)).toBe('function');

        await joinAndStart(caller);
        await joinAndStart(callee);
        await waitConnected(caller);
        await waitConnected(callee);

        const before = {
          caller: await expectPanelMatchesSdk(caller),
          callee: await expectPanelMatchesSdk(callee),
        };
        expect(before.caller.generation).toBe(0);
        // Audio arrives: the meter reads a level from call.remoteStream.
        await expect(caller.locator('[data-field="level"]')).toHaveText(/-\d+ dBFS/);
        await expect(callee.locator('[data-field="level"]')).toHaveText(/-\d+ dBFS/);
        await expect(caller.locator('[data-field="nextTime"]')).toHaveText(/^in [45]:\d\d$/);
        await expect(caller.locator('[data-field="nextBytes"]')).toHaveText(/left$/);

        // Re-key now: both sides move to generation 1 with new certificates on both ends.
        await caller.getByRole('button', { name: 'Re-key now' }).click();
        for (const page of [caller, callee]) {
          await expect
            .poll(async () => (await callOf(page))?.generation, { timeout: 20_000 })
            .toBe(1);
          await expect(page.locator('[data-field="timeline"] .event-rekey')).toHaveCount(1);
          // The timeline says how the audio moved across: through the worklet (the demo's CSP
          // allows the SDK's own folder, where the worklet module is).
          await expect(page.locator('[data-field="timeline"] .event-rekey')).toContainText(
            /audio switched after [\d.]+ (ms|s)/,
          );
        }
        const after = {
          caller: await expectPanelMatchesSdk(caller),
          callee: await expectPanelMatchesSdk(callee),
        };
        for (const side of ['caller', 'callee'] as const) {
          expect(after[side].generation).toBe(1);
          expect(after[side].localFingerprint).not.toBe(before[side].localFingerprint);
          expect(after[side].remoteFingerprint).not.toBe(before[side].remoteFingerprint);
        }
        await expect(caller.locator('.event-rekey .event-detail')).toHaveText(
          `${shortFingerprint(before.caller.localFingerprint)} → ${shortFingerprint(after.caller.localFingerprint)}`,
        );
        // The tone never stopped through the switch.
        await expect(callee.locator('[data-field="gap"]')).toHaveText(/^\d+ ms$/);
        const gap = Number(
          (await callee.locator('[data-field="gap"]').textContent())!.replace(' ms', ''),
        );
        testInfo.annotations.push({
          type: `${name}: longest silence shown`,
          description: `${gap} ms`,
        });
        // The meter reads remoteStream in the page's own AudioContext, at the SDK's 48 kHz: at the
        // device's rate Firefox carried the stream across media graphs and the meter showed
        // 150-450 ms of digital silence in about 2 runs of 5, which nobody heard (demo/js/audio.js).
        // Run beside another browser test on 2 cores, either browser's audio itself starved now
        // and then (CI: Firefox 150 ms; locally Chromium 150 ms, before the re-key), hence @audio.
        expect(gap).toBeLessThanOrEqual(100);

        await caller.waitForTimeout(1500); // a few more stats ticks and a telemetry flush
        await caller.screenshot({
          path: testInfo.outputPath(`${name}-call-caller-desktop.png`),
          fullPage: true,
        });
        await callee.screenshot({
          path: testInfo.outputPath(`${name}-call-callee-375px.png`),
          fullPage: true,
        });

        // The audit report lists the session, and its page has the handshakes and the re-key.
        const callId = (await callOf(caller))!.callId!;
        const reportLink = caller.locator('[data-field="report"]');
        await expect(reportLink).toBeVisible();
        const sessionHref = (await reportLink.getAttribute('href'))!;
        expect(sessionHref).toContain(`/report/sessions/${callId}?key=`);
        const indexHref = (await caller.locator('#report-index').getAttribute('href'))!;
        const report = await desktop.newPage();
        await expect
          .poll(
            async () => {
              await report.goto(indexHref);
              return report.locator('body').innerText();
            },
            { timeout: 20_000, message: 'the report lists the session' },
          )
          .toContain(callId);
        await report.goto(sessionHref);
        await expect(report.locator('body')).toContainText('rekey');
        await expect(report.locator('body')).toContainText('handshake');
        await report.screenshot({
          path: testInfo.outputPath(`${name}-report.png`),
          fullPage: true,
          caret: 'initial',
        });

        // Hang up on one side ends the call on both.
        await callee.getByRole('button', { name: 'Hang up' }).click();
        await expect(caller.locator('[data-field="state"]')).toHaveText('Ended');
        await expect(caller.locator('.timeline')).toContainText('the other side hung up');
        expect(problems).toEqual([]);
      } finally {
        await demo.stop();
      }
    },
  );
}

test('demo: clear messages for an unknown room, a second tab of the same side, a full room', async ({
  launch,
}) => {
  const demo = await startDemo();
  try {
    const browser = await launch('chromium');
    const context = await browser.newContext();
    const open = async (query: string) => {
      const page = await context.newPage();
      await page.goto(`${demo.url}call.html?${query}`);
      return page;
    };
    const unknown = await open('room=nosuchroom&role=caller');
    await expect(unknown.locator('.message-error')).toContainText('Unknown room');
    await expect(unknown.getByRole('button', { name: 'Start call' })).toBeDisabled();

    const room = (await (await fetch(`${demo.url}api/rooms`, { method: 'POST' })).json()) as {
      room: string;
    };
    const first = await open(`room=${room.room}&role=caller`);
    await expect(first.locator('#signal-status')).toHaveText('In the room');
    const twin = await open(`room=${room.room}&role=caller`);
    await expect(twin.locator('.message-error')).toContainText('This room already has a caller');
    await open(`room=${room.room}&role=callee`);
    await expect(first.locator('#peer-status')).toContainText('is in the room');
    const third = await open(`room=${room.room}&role=callee`);
    await expect(third.locator('.message-error')).toContainText('This room is full');
    const none = await open('');
    await expect(none.locator('.message-error')).toContainText('This link has no room');
  } finally {
    await demo.stop();
  }
});

test('demo: a signaling server restart mid-call is announced, and the call re-keys after it', async ({
  launch,
}, testInfo) => {
  test.setTimeout(120_000);
  let demo = await startDemo();
  try {
    const browser = await launch('chromium');
    const room = (await (await fetch(`${demo.url}api/rooms`, { method: 'POST' })).json()) as {
      room: string;
    };
    const pages: Page[] = [];
    for (const role of ['caller', 'callee']) {
      const page = await (await browser.newContext()).newPage();
      await page.goto(`${demo.url}call.html?room=${room.room}&role=${role}`);
      pages.push(page);
    }
    const [caller, callee] = pages as [Page, Page];
    await joinAndStart(caller);
    await joinAndStart(callee);
    await waitConnected(caller);
    await waitConnected(callee);

    await demo.stop();
    await expect(caller.locator('[data-topic="signaling"]')).toContainText(
      'Lost the signaling server',
    );
    await expect(caller.locator('#signal-status')).toHaveText('Reconnecting…');
    expect((await callOf(caller))!.state).toBe('connected'); // peer to peer, no signaling needed
    await caller.screenshot({
      path: testInfo.outputPath('restart-lost.png'),
      fullPage: true,
      caret: 'initial',
    });

    demo = await startDemo(demo.port);
    for (const page of pages) {
      await expect(page.locator('[data-topic="signaling"]')).toContainText('Back in the room', {
        timeout: 20_000,
      });
    }
    await expect(caller.locator('#peer-status')).toContainText('is in the room');
    await caller.getByRole('button', { name: 'Re-key now' }).click();
    for (const page of pages) {
      await expect.poll(async () => (await callOf(page))?.generation, { timeout: 20_000 }).toBe(1);
    }
  } finally {
    await demo.stop();
  }
});

test('demo quick look (ES module build): both sides in one page connect and re-key', async ({
  launch,
}, testInfo) => {
  const demo = await startDemo();
  try {
    const browser = await launch('chromium');
    const page = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 } })
    ).newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    await page.goto(`${demo.url}quick.html`);
    expect(await page.locator('script[type="importmap"]').count()).toBe(1);
    await page.selectOption('#audio-source', 'tone');
    await page.getByRole('button', { name: 'Start call' }).click();
    const generations = () =>
      page.evaluate(() => {
        const calls = (window as unknown as { calls?: { caller: DemoCall; callee: DemoCall } })
          .calls;
        return calls ? [calls.caller.state, calls.callee.state, calls.caller.generation] : null;
      });
    await expect.poll(generations, { timeout: 20_000 }).toEqual(['connected', 'connected', 0]);
    await page.getByRole('button', { name: 'Re-key now' }).click();
    await expect.poll(generations, { timeout: 20_000 }).toEqual(['connected', 'connected', 1]);
    for (const side of ['caller', 'callee']) {
      await expect(page.locator(`[data-side="${side}"] [data-field="generation"]`)).toHaveText('1');
      await expect(page.locator(`[data-side="${side}"] .event-rekey`)).toHaveCount(1);
    }
    await page.screenshot({
      path: testInfo.outputPath('quick.png'),
      fullPage: true,
      caret: 'initial',
    });
    expect(problems).toEqual([]);
  } finally {
    await demo.stop();
  }
});
