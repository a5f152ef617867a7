// Page side of bench/handover/search-cost-browsers.ts: the playout worklet as shipped (or the
// build named by ?worklet=), run on the browser's own audio thread, with its message handler
// timed there. A shim module, added to the AudioWorkletGlobalScope before the worklet, wraps
// registerProcessor: the processor it registers times each command it handles and replies
// with the time. The worklet's code itself is not changed.
import { mulberry32 } from '/e2e/audio/signal.mjs';

const RATE = 48_000;
const WORKLET =
  new URLSearchParams(location.search).get('worklet') ?? '/dist/rekey-rtc-playout.worklet.js';

const SHIM = `
const clock = globalThis.performance && typeof performance.now === 'function'
  ? { name: 'performance.now', now: () => performance.now() }
  : { name: 'Date.now', now: () => Date.now() };
const register = globalThis.registerProcessor.bind(globalThis);
globalThis.registerProcessor = (name, Processor) => register(name, class extends Processor {
  constructor(...args) {
    super(...args);
    const handle = this.port.onmessage;
    this.port.onmessage = (event) => {
      // { timed: [commands], times }: the commands, in order, 'times' times over, timed as one.
      const batch = event.data && event.data.timed;
      const start = clock.now();
      if (batch) for (let i = 0; i < event.data.times; i++) for (const data of batch) handle({ data });
      else handle(event);
      this.port.postMessage({ type: 'timed', ms: clock.now() - start, clock: clock.name });
    };
  }
});
`;

/** The worklet, fed one noise signal twice: 20 ms late into slot 0, 3 ms late into slot 1. */
async function start() {
  const context = new AudioContext({ sampleRate: RATE });
  await context.resume();
  const shim = URL.createObjectURL(new Blob([SHIM], { type: 'text/javascript' }));
  await context.audioWorklet.addModule(shim);
  URL.revokeObjectURL(shim);
  await context.audioWorklet.addModule(WORKLET);
  const node = new AudioWorkletNode(context, 'rekey-rtc-playout', {
    numberOfInputs: 3,
    numberOfOutputs: 1,
    outputChannelCount: [2],
  });
  const buffer = context.createBuffer(1, 4 * RATE, RATE);
  const random = mulberry32(7);
  const samples = buffer.getChannelData(0);
  for (let i = 0; i < samples.length; i++) samples[i] = (random() * 2 - 1) * 0.5;
  const source = context.createBufferSource();
  source.buffer = buffer;
  source.loop = true;
  for (const [slot, late] of [
    [0, 960],
    [1, 144],
  ]) {
    const delay = context.createDelay(1);
    delay.delayTime.value = late / RATE;
    source.connect(delay).connect(node, 0, slot);
  }
  const mute = context.createGain();
  mute.gain.value = 0;
  node.connect(mute).connect(context.destination);
  source.start();
  return { context, node };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends a command (or a timed batch) and resolves with every reply up to the timing. */
function send(node, message) {
  return new Promise((resolve) => {
    const replies = [];
    node.port.onmessage = (event) => {
      if (event.data && event.data.type === 'timed') resolve({ ...event.data, replies });
      else replies.push(event.data);
    };
    node.port.postMessage(message);
  });
}

const TRUE_LAG = 960 - 144;
const switchTo1 = (lag) => ({
  type: 'switch',
  from: 0,
  slot: 1,
  lag,
  verify: true,
  search: 240,
  force: true,
  fade: 480,
  reserve: 0,
  rate: 0.005,
});
const play0 = { type: 'play', slot: 0, delay: 0 };

/**
 * One trial: in a fresh AudioContext (a fresh AudioWorkletGlobalScope: nothing compiled yet),
 * the search once (cold), then warm, then the check alone (the offset still right), and a
 * 'play' command as the cheapest handler; then, in another fresh one, a first switch whose check
 * passes (the cold baseline). Times in ms, on the audio thread's clock.
 */
window.trial = async function trial({ warm = 20 } = {}) {
  const search = await inContext(async (node) => {
    // Off by 3 ms: the check fails and the search runs.
    const cold = await send(node, switchTo1(TRUE_LAG - 144));
    const switched = cold.replies.find((r) => r.type === 'switched');
    if (!switched || !switched.verified || Math.abs(switched.lag - TRUE_LAG) > 1)
      throw new Error(`the search did not find the offset: ${JSON.stringify(cold.replies)}`);
    await sleep(50);
    const warmRun = await send(node, { timed: [play0, switchTo1(TRUE_LAG - 144)], times: warm });
    await sleep(50);
    const checkRun = await send(node, { timed: [play0, switchTo1(switched.lag)], times: warm });
    await sleep(50);
    const playRun = await send(node, { timed: [play0], times: warm });
    return {
      clock: cold.clock,
      coldMs: cold.ms,
      warmMs: warmRun.ms / warm,
      checkMs: checkRun.ms / warm,
      playMs: playRun.ms / warm,
      lag: switched.lag,
    };
  });
  // The baseline of the cold search: a first switch whose check passes, in another fresh scope.
  const check = await inContext(async (node) => {
    const cold = await send(node, switchTo1(search.lag));
    const switched = cold.replies.find((r) => r.type === 'switched');
    if (!switched || !switched.verified || switched.lag !== search.lag)
      throw new Error(`the check did not pass: ${JSON.stringify(cold.replies)}`);
    return cold.ms;
  });
  return { ...search, coldCheckMs: check };
};

/** Runs `measure` on a fresh worklet (a new AudioContext: a new AudioWorkletGlobalScope). */
async function inContext(measure) {
  const { context, node } = await start();
  try {
    // Both rings full: 1 s of audio rendered (a sound server can take a while to start a stream).
    const started = context.currentTime;
    while (context.currentTime < started + 1) await sleep(50);
    await send(node, play0);
    await sleep(50);
    return await measure(node);
  } finally {
    await context.close();
  }
}
window.ready = true;
