// Issue 2: real calls between the Debian browsers (FACTS.md), signaling relayed by the test,
// asserting that each side's SecuritySnapshot matches what its browser negotiated.
import type { Page } from '@playwright/test';
import type { SecuritySnapshot, SrtpProfile } from '../src/types';
import {
  callState,
  expect,
  expectStarted,
  placeCall,
  problemsOf,
  recordedEvents,
  security,
  test,
  waitFor,
  waitForBytesToGrow,
  waitForEvent,
  type BrowserName,
  type PlacedCall,
} from './support';

// Uppercase hex pairs with colons, as in SDP a=fingerprint.
const FINGERPRINT = /^[0-9A-F]{2}(:[0-9A-F]{2})+$/;
// A short stats interval so "bytes grow between two snapshots" does not wait seconds.
const STATS = { statsIntervalMs: 250 };

/** Waits for the first snapshot of a side. */
function firstSnapshot(page: Page): Promise<SecuritySnapshot> {
  return waitFor(
    'the first security snapshot',
    () => security(page),
    (s) => s !== null,
  ) as Promise<SecuritySnapshot>;
}

/** Events that a clean call must never produce. */
async function expectNoErrors(page: Page): Promise<void> {
  const errors = (await recordedEvents(page)).filter((e) =>
    ['error', 'receive-threw', 'page-error'].includes(e.type),
  );
  expect(errors, `error events; page problems: ${problemsOf(page).join(' | ')}`).toEqual([]);
}

async function expectLiveRemoteAudio(page: Page): Promise<void> {
  const tracks = await page.evaluate(() =>
    window.call!.remoteStream.getAudioTracks().map((t) => t.readyState),
  );
  expect(tracks.length).toBeGreaterThan(0);
  expect(tracks).toContain('live');
}

interface PairExpectation {
  caller: BrowserName;
  callee: BrowserName;
  srtpProfile: SrtpProfile;
  compliant: boolean;
}

// FACTS.md's table, with the SDK's rule that the Firefox side is the DTLS server in a mixed call,
// so both mixed pairings get Firefox's choice, AEAD_AES_128_GCM. Chromium as DTLS server always
// picks AES_CM, which is below the default SRTP floor: reported, not closed.
const PAIRS: PairExpectation[] = [
  {
    caller: 'chromium',
    callee: 'chromium',
    srtpProfile: 'AES_CM_128_HMAC_SHA1_80',
    compliant: false,
  },
  { caller: 'firefox', callee: 'firefox', srtpProfile: 'AEAD_AES_128_GCM', compliant: true },
  { caller: 'chromium', callee: 'firefox', srtpProfile: 'AEAD_AES_128_GCM', compliant: true },
  { caller: 'firefox', callee: 'chromium', srtpProfile: 'AEAD_AES_128_GCM', compliant: true },
];

for (const pair of PAIRS) {
  test(`${pair.caller} -> ${pair.callee}: connected, snapshot matches the negotiation`, async ({
    launch,
  }) => {
    const callerBrowser = await launch(pair.caller);
    // Same browser kind: two isolated contexts of one browser. Mixed: two browser processes.
    const calleeBrowser = pair.callee === pair.caller ? callerBrowser : await launch(pair.callee);
    const call: PlacedCall = await placeCall(
      { browser: callerBrowser, options: STATS },
      { browser: calleeBrowser, options: STATS },
      { delayMs: 10 },
    );
    const callerStart = await expectStarted(call.caller, call.callerStart);
    const calleeStart = await expectStarted(call.callee, call.calleeStart);
    expect(callerStart.state).toBe('connected');
    expect(calleeStart.state).toBe('connected');

    const sides = [
      { name: pair.caller, page: call.caller, snapshot: await firstSnapshot(call.caller) },
      { name: pair.callee, page: call.callee, snapshot: await firstSnapshot(call.callee) },
    ] as const;

    for (const { page, snapshot } of sides) {
      expect(snapshot.generation).toBe(0);
      expect(snapshot.dtlsVersion).toBe('1.3');
      expect(snapshot.dtlsCipher).toBe('TLS_AES_128_GCM_SHA256');
      expect(snapshot.srtpProfile).toBe(pair.srtpProfile);
      expect(snapshot.forwardSecrecy).toBe(true);
      expect(snapshot.localFingerprint).toMatch(FINGERPRINT);
      expect(snapshot.remoteFingerprint).toMatch(FINGERPRINT);
      expect(snapshot.localFingerprint).not.toBe(snapshot.remoteFingerprint);
      expect(snapshot.fingerprintAlgorithm).toBe('sha-256');
      expect(snapshot.candidateType).toBe('host');
      expect(['client', 'server']).toContain(snapshot.dtlsRole);
      expect(snapshot.advisories).toEqual([]);
      expect(snapshot.compliant).toBe(pair.compliant);
      if (pair.compliant) {
        expect(snapshot.violations).toEqual([]);
      } else {
        expect(snapshot.violations).toEqual([
          expect.objectContaining({ rule: 'srtp-profile', action: 'report', generation: 0 }),
        ]);
      }
      await expectLiveRemoteAudio(page);
    }

    const [caller, callee] = sides;
    // One handshake seen from both ends: the certificates match crosswise, the roles differ.
    expect(caller.snapshot.localFingerprint).toBe(callee.snapshot.remoteFingerprint);
    expect(caller.snapshot.remoteFingerprint).toBe(callee.snapshot.localFingerprint);
    expect(caller.snapshot.dtlsRole).not.toBe(callee.snapshot.dtlsRole);
    if (pair.caller !== pair.callee) {
      const firefoxSide = sides.find((s) => s.name === 'firefox')!;
      expect(firefoxSide.snapshot.dtlsRole, 'Firefox is the DTLS server in mixed calls').toBe(
        'server',
      );
    }

    // Media flows: both counters grow between two snapshots, on both sides.
    for (const { page, snapshot } of sides) {
      const later = await waitForBytesToGrow(page, snapshot);
      expect(later.generation).toBe(0);
    }

    for (const { page } of sides) {
      const violations = await recordedEvents(page, 'violation');
      if (pair.compliant) {
        expect(violations).toEqual([]);
      } else {
        // Reported once it was seen, and the call stays up: action 'report' never closes.
        expect(violations.map((v) => v.data)).toContainEqual(
          expect.objectContaining({ rule: 'srtp-profile', action: 'report' }),
        );
      }
      expect(await callState(page)).toBe('connected');
      expect(await recordedEvents(page, 'close')).toEqual([]);
      await expectNoErrors(page);
    }
  });
}

test.describe('Firefox forced to DTLS 1.2', () => {
  const DTLS_12 = { firefoxPrefs: { 'media.peerconnection.dtls.version.max': 771 } };

  test('negotiates 1.2, flags the legacy fallback and stays compliant', async ({ launch }) => {
    const browser = await launch('firefox', DTLS_12);
    const call = await placeCall(
      { browser, options: STATS },
      { browser, options: STATS },
      { delayMs: 10 },
    );
    await expectStarted(call.caller, call.callerStart);
    await expectStarted(call.callee, call.calleeStart);

    for (const page of [call.caller, call.callee]) {
      const snapshot = await firstSnapshot(page);
      expect(snapshot.dtlsVersion).toBe('1.2');
      expect(snapshot.dtlsCipher).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
      expect(snapshot.forwardSecrecy).toBe(true);
      expect(snapshot.srtpProfile).toBe('AEAD_AES_128_GCM');
      expect(snapshot.advisories).toContainEqual(
        expect.objectContaining({ code: 'dtls-legacy-fallback', generation: 0 }),
      );
      expect(snapshot.violations).toEqual([]);
      expect(snapshot.compliant).toBe(true);
      await waitForBytesToGrow(page, snapshot);
      expect(await recordedEvents(page, 'violation')).toEqual([]);
      expect(await callState(page)).toBe('connected');
      await expectNoErrors(page);
    }
  });

  test("policy minDtlsVersion '1.3' closes the call with a violation", async ({ launch }) => {
    const browser = await launch('firefox', DTLS_12);
    // The policy on the caller only, so which side closes (and why) is deterministic.
    const call = await placeCall(
      { browser, options: { ...STATS, policy: { minDtlsVersion: '1.3' } } },
      { browser, options: STATS },
      { delayMs: 10 },
    );

    const close = await waitForEvent(call.caller, 'close');
    expect(close.data).toMatchObject({
      reason: 'policy:dtls-version',
      violation: { rule: 'dtls-version', action: 'close', actual: '1.2' },
    });
    const events = await recordedEvents(call.caller);
    const violationIndex = events.findIndex(
      (e) => e.type === 'violation' && (e.data as { rule: string }).rule === 'dtls-version',
    );
    const closeIndex = events.findIndex((e) => e.type === 'close');
    expect(violationIndex, 'a dtls-version violation event').toBeGreaterThanOrEqual(0);
    expect(violationIndex, 'violation before close').toBeLessThan(closeIndex);
    expect(events[violationIndex]!.data).toMatchObject({ action: 'close', actual: '1.2' });
    expect(events.filter((e) => e.type === 'close')).toHaveLength(1);
    expect(await callState(call.caller)).toBe('closed');

    const remoteClose = await waitForEvent(call.callee, 'close');
    expect(remoteClose.data).toMatchObject({ reason: 'remote' });
    expect(await callState(call.callee)).toBe('closed');
  });
});

test('remoteStream is one MediaStream from construction through start to close', async ({
  launch,
}) => {
  const browser = await launch('chromium');
  const call = await placeCall({ browser }, { browser });
  await expectStarted(call.caller, call.callerStart);
  await expectStarted(call.callee, call.calleeStart);

  const sameStream = (page: Page) =>
    page.evaluate(() => {
      const audio = document.getElementById('remote') as HTMLAudioElement;
      return {
        sameAsConstruction: window.call!.remoteStream === window.remoteStreamAtConstruction,
        attached: audio.srcObject === window.call!.remoteStream,
      };
    });
  for (const page of [call.caller, call.callee]) {
    expect(await sameStream(page)).toEqual({ sameAsConstruction: true, attached: true });
    await expectLiveRemoteAudio(page);
  }
  await call.caller.evaluate(() => window.call!.close());
  await waitForEvent(call.callee, 'close');
  for (const page of [call.caller, call.callee]) {
    expect(await sameStream(page)).toEqual({ sameAsConstruction: true, attached: true });
  }
});

for (const browserName of ['chromium', 'firefox'] as const) {
  test(`${browserName}: close() is idempotent and the other side closes with 'remote'`, async ({
    launch,
  }) => {
    const browser = await launch(browserName);
    const call = await placeCall({ browser }, { browser });
    await expectStarted(call.caller, call.callerStart);
    await expectStarted(call.callee, call.calleeStart);

    const thrown = await call.caller.evaluate(() => {
      try {
        window.call!.close();
        window.call!.close();
        window.call!.close();
        return null;
      } catch (error) {
        return String(error);
      }
    });
    expect(thrown).toBeNull();
    expect(await callState(call.caller)).toBe('closed');

    const remote = await waitForEvent(call.callee, 'close');
    expect(remote.data).toMatchObject({ reason: 'remote', generation: 0 });
    expect(await callState(call.callee)).toBe('closed');
    // Closing an already closed call is a no-op on the remote side too.
    await call.callee.evaluate(() => window.call!.close());
    // Let any stray message from those close() calls arrive before counting events.
    await call.relay.idle();

    const callerCloses = await recordedEvents(call.caller, 'close');
    expect(callerCloses.map((e) => e.data)).toEqual([
      expect.objectContaining({ reason: 'local', generation: 0 }),
    ]);
    expect(await recordedEvents(call.callee, 'close')).toHaveLength(1);
    await expectNoErrors(call.caller);
    await expectNoErrors(call.callee);
  });
}

test('a call whose answers never arrive fails start() with start-timeout', async ({ launch }) => {
  const browser = await launch('chromium');
  const options = { connectTimeoutMs: 2_000 };
  // The relay drops everything the callee sends: the caller never gets an answer.
  const call = await placeCall(
    { browser, options },
    { browser, options },
    { filter: (_message, direction) => direction === 'a->b' },
  );
  expect(call.callerStart.ok).toBe(false);
  expect(call.relay.log.some((m) => m.direction === 'b->a' && !m.delivered)).toBe(true);
  const close = await waitForEvent(call.caller, 'close');
  expect(close.data).toMatchObject({ reason: 'start-timeout' });
  expect(await callState(call.caller)).toMatch(/^(failed|closed)$/);
  expect(await recordedEvents(call.caller, 'close')).toHaveLength(1);
});
