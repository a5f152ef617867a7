// Issue 2: the script-tag user, tested as such: a plain HTML page with one <script src> of the
// minified bundle, no modules and no import map, places a call with `new RekeyRTC.SecureCall`.
import { readFileSync } from 'node:fs';
import type { SecuritySnapshot } from '../src/types';
import {
  SCRIPT_PAGE,
  expect,
  expectStarted,
  placeCall,
  recordedEvents,
  security,
  test,
  waitFor,
  waitForBytesToGrow,
} from './support';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

const PAIRS = [
  { name: 'chromium', srtp: 'AES_CM_128_HMAC_SHA1_80' },
  { name: 'firefox', srtp: 'AEAD_AES_128_GCM' },
] as const;

for (const { name, srtp } of PAIRS)
  test(`${name} <-> ${name} through the script-tag bundle`, async ({ launch }) => {
    const browser = await launch(name);
    const side = { browser, page: SCRIPT_PAGE, options: { statsIntervalMs: 250 } };
    const call = await placeCall(side, side, { delayMs: 10 });

    for (const page of [call.caller, call.callee]) {
      const loaded = await page.evaluate(() => ({
        bundle: window.bundle,
        global: typeof window.RekeyRTC,
        secureCall: typeof window.RekeyRTC?.SecureCall,
        version: window.RekeyRTC?.VERSION,
        moduleScripts: document.querySelectorAll('script[type="module"], script[type="importmap"]')
          .length,
      }));
      expect(loaded).toEqual({
        bundle: 'script',
        global: 'object',
        secureCall: 'function',
        // __REKEY_VERSION__ was replaced at build time.
        version: pkg.version,
        moduleScripts: 0,
      });
    }

    await expectStarted(call.caller, call.callerStart);
    await expectStarted(call.callee, call.calleeStart);
    const snapshots: SecuritySnapshot[] = [];
    for (const page of [call.caller, call.callee]) {
      const snapshot = (await waitFor(
        'the first security snapshot',
        () => security(page),
        (s) => s !== null,
      )) as SecuritySnapshot;
      expect(snapshot.dtlsVersion).toBe('1.3');
      expect(snapshot.srtpProfile).toBe(srtp);
      expect(snapshot.candidateType).toBe('host');
      await waitForBytesToGrow(page, snapshot);
      expect(await recordedEvents(page, 'error')).toEqual([]);
      snapshots.push(snapshot);
    }
    expect(snapshots[0]!.localFingerprint).toBe(snapshots[1]!.remoteFingerprint);
    expect(snapshots[0]!.remoteFingerprint).toBe(snapshots[1]!.localFingerprint);
  });
