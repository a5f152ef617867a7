// Quick probe: one SDK call, a few re-keys, print per-switch numbers.
import globalSetup from '../../e2e/support/global-setup';
import { analyse, openPair, pageEvents, RECEIVER_SEED, record, SENDER_SEED, sdkSwitchTimes, startRig } from '../../e2e/audio/session';
import type { BrowserName } from '../../e2e/support/browsers';

const [senderKind, receiverKind] = (process.argv[2] ?? 'chromium:chromium').split(':') as [BrowserName, BrowserName];
const rekeys = Number(process.argv[3] ?? 5);
const teardown = await globalSetup();
const rig = await startRig([senderKind, receiverKind]);
try {
  const pair = await openPair(rig, senderKind, receiverKind, { delayMs: 50 });
  const recording = await record(rig.sink, 120_000);
  await Promise.all([
    pair.sender.evaluate((s) => (window as any).startCall({ role: 'caller', play: false, seed: s, rekey: false }), SENDER_SEED),
    pair.receiver.evaluate((s) => (window as any).startCall({ role: 'callee', play: true, seed: s, rekey: false }), RECEIVER_SEED),
  ]);
  await new Promise((r) => setTimeout(r, 1500));
  for (let i = 0; i < rekeys; i++) {
    await pair.receiver.evaluate(() => (window as any).call.rekey());
    await new Promise((r) => setTimeout(r, 1600));
  }
  for (let k = 0; k < 3; k++) {
    console.log('inbound', JSON.stringify(await pair.receiver.evaluate(() => (window as any).inboundAudio())), JSON.stringify(await pair.receiver.evaluate(() => (window as any).callInfo())));
    await new Promise((r) => setTimeout(r, 400));
  }
  const pcm = await recording.stop();
  const events = await pageEvents(pair.receiver);
  const switches = sdkSwitchTimes(events);
  const heard = analyse(pcm, recording, SENDER_SEED, switches, 250, 500);
  const good = heard.decoded.runs.filter((r) => r.index >= 0);
  console.log('samples', pcm.length, 'runs', heard.decoded.runs.length, 'mapped', good.length);
  console.log('switches', switches.map((t) => t - recording.startedAt));
  console.table(heard.around);
  console.table(heard.control);
  if (process.env.DUMP) {
    const fs = await import('node:fs');
    fs.writeFileSync(process.env.DUMP, Buffer.from(pcm.buffer));
    fs.writeFileSync(process.env.DUMP + '.json', JSON.stringify({ startedAt: recording.startedAt, switches, events }));
  }
} finally {
  await rig.close();
  await teardown();
}
