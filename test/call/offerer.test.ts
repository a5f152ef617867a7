import { describe, expect, it } from 'vitest';
import type { Engine } from '../fakes/FakeNetwork.js';
import { connect, createPair, run } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

describe('which side offers', () => {
  it.each<[Engine, Engine, 'a' | 'b', string]>([
    ['chrome', 'chrome', 'a', 'AES_CM_128_HMAC_SHA1_80'],
    ['firefox', 'firefox', 'a', 'AEAD_AES_128_GCM'],
    ['firefox', 'chrome', 'a', 'AEAD_AES_128_GCM'],
    ['chrome', 'firefox', 'b', 'AEAD_AES_128_GCM'],
  ])(
    'caller %s, callee %s: side %s offers every generation (profile %s)',
    async (ea, eb, offerer, profile) => {
      const pair = createPair({ engines: [ea, eb], both: { rekey: false } });
      await connect(pair);
      for (let i = 0; i < 3; i++) {
        const report = pair.b.rekey();
        await run(5_000);
        await report;
      }
      const offers = pair.signaling.sent({ kind: 'offer' });
      const answers = pair.signaling.sent({ kind: 'answer' });
      expect(new Set(offers.map((t) => t.from))).toEqual(new Set([offerer]));
      expect(new Set(answers.map((t) => t.from))).toEqual(new Set([offerer === 'a' ? 'b' : 'a']));
      expect(new Set(offers.map((t) => t.message['generation']))).toEqual(new Set([0, 1, 2, 3]));
      // The offerer is the DTLS server, and the server's engine picks the profile.
      const server = pair[offerer].security!;
      expect(server.dtlsRole).toBe('server');
      expect(pair[offerer === 'a' ? 'b' : 'a'].security!.dtlsRole).toBe('client');
      expect(server.srtpProfile).toBe(profile);
      expect(pair.a.security!.srtpProfile).toBe(profile);
      expect(pair.b.security!.srtpProfile).toBe(profile);
      expect(pair.a.generation).toBe(3);
    },
  );

  it('both sides calling themselves caller is reported, never a crash', async () => {
    const pair = createPair();
    // Make b believe it is a caller too by feeding a hello from a second caller.
    await connect(pair);
    pair.a.receive({
      protocol: 'rekey-rtc',
      v: 1,
      callId: pair.a.callId,
      generation: 0,
      kind: 'hello',
      engine: 'chrome',
    });
    await run(10);
    expect(pair.of('a', 'error')).toMatchObject([{ code: 'invalid-state' }]);
    expect(pair.a.state).toBe('connected');
  });
});
