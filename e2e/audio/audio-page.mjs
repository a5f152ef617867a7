// Page side of the audio measurements (e2e/rekey-audio.spec.ts, bench/handover).
// - startSignal(): the stepped-tone signal of signal.mjs as a local audio track.
// - startCall(): a SecureCall whose remoteStream plays in <audio> only if `play` is set (or, with
//   audioOutput 'speaker', that the SDK plays itself), so only
//   the measured receiver is heard at the sound server.
// - startRaw() / rawSwitch(): a break-before-make baseline on raw RTCPeerConnections.
// Signaling goes through e2e/support/signaling.ts's relay (window.__sendToPeer /
// window.__receiveFromPeer).
import { SYMBOL_MS, TONES, symbolSequence } from '/e2e/audio/signal.mjs';

// ?sdk=/some/bundle.mjs loads another build (bench comparisons); the repository's by default.
const params = new URLSearchParams(location.search);
// ?mark=ms (bench/handover --calibrate): every aligned switch lands `mark` ms off, a jump that
// shows where in the recording a crossfade is heard. Wraps the worklet's port; the SDK is as shipped.
if (params.get('mark')) {
  const samples = Math.round((Number(params.get('mark')) * 48_000) / 1000);
  const post = MessagePort.prototype.postMessage;
  MessagePort.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === 'switch' && typeof message.lag === 'number')
      message = { ...message, lag: message.lag + samples, verify: false };
    return post.call(this, message, ...rest);
  };
}
// ?timing=1 (bench/handover --timing): a 'measure' event for each snapshot the playout worklet
// answers, with how long the SDK's handler (the offset search) held the main thread. Wraps the
// port's onmessage setter; the SDK is as shipped.
if (params.get('timing')) {
  const handler = Object.getOwnPropertyDescriptor(MessagePort.prototype, 'onmessage');
  Object.defineProperty(MessagePort.prototype, 'onmessage', {
    configurable: true,
    get() {
      return handler.get.call(this);
    },
    set(listener) {
      if (typeof listener !== 'function') {
        handler.set.call(this, listener);
        return;
      }
      handler.set.call(this, function (event) {
        if (event.data?.type !== 'snapshot') return listener.call(this, event);
        const samples = event.data.a.length;
        const started = performance.now();
        try {
          return listener.call(this, event);
        } finally {
          record('measure', { ms: performance.now() - started, samples });
        }
      });
    },
  });
}
const SDK_URL = new URLSearchParams(location.search).get('sdk') ?? '/dist/rekey-rtc.mjs';
const { SecureCall } = await import(SDK_URL);

const events = [];
window.events = events;
const record = (type, data) => events.push({ type, at: Date.now(), data: clone(data) });
function clone(value) {
  if (value === undefined) return null;
  try {
    return JSON.parse(JSON.stringify(value));
  } catch {
    return String(value);
  }
}
window.addEventListener('error', (e) => record('page-error', { message: e.message }));
window.addEventListener('unhandledrejection', (e) =>
  record('page-error', { message: String(e.reason?.message ?? e.reason) }),
);

// ---- the signal ------------------------------------------------------------------------------

const AHEAD_S = 2;
let signal = null;

/**
 * Starts the stepped tone: symbol j starts at context time t0 + j * SYMBOL_MS, every frequency
 * change scheduled with setValueAtTime (sample-accurate). Scheduled in chunks, AHEAD_S ahead.
 */
async function startSignal(seed) {
  // At WebRTC's own rate, so that nothing resamples the signal before the encoder.
  const context = new AudioContext({ sampleRate: 48_000 });
  await context.resume();
  const oscillator = context.createOscillator();
  const gain = context.createGain();
  gain.gain.value = 0.3;
  const destination = context.createMediaStreamDestination();
  oscillator.connect(gain).connect(destination);
  const t0 = context.currentTime + 0.2;
  const wallT0 = Date.now() + 200;
  let sequence = symbolSequence(seed, 1000);
  let next = 0;
  const symbol = SYMBOL_MS / 1000;
  const schedule = () => {
    const horizon = context.currentTime + AHEAD_S;
    while (t0 + next * symbol < horizon) {
      if (next >= sequence.length) sequence = symbolSequence(seed, sequence.length * 2);
      oscillator.frequency.setValueAtTime(TONES[sequence[next]], t0 + next * symbol);
      next += 1;
    }
  };
  schedule();
  oscillator.start(t0);
  const timer = setInterval(schedule, 200);
  signal = { context, oscillator, timer, seed, wallT0 };
  return destination.stream;
}

// ---- the SDK call ----------------------------------------------------------------------------

let call = null;
let raw = null;
const inbox = [];
window.__receiveFromPeer = (message) => {
  if (message && message.raw) return onRawMessage(message);
  if (call) call.receive(message);
  else inbox.push(message);
};

const CALL_EVENTS = ['security', 'state', 'rekeystart', 'rekey', 'rekeyfailed', 'close', 'error'];

window.startCall = async ({ role, play, seed, ...options }) => {
  const localStream = await startSignal(seed);
  call = new SecureCall({ role, send: (m) => window.__sendToPeer(m), localStream, ...options });
  window.call = call;
  for (const type of CALL_EVENTS) call.on(type, (payload) => record(type, payload));
  // audioOutput 'speaker': the SDK plays the call itself; nothing to attach.
  if (play && options.audioOutput !== 'speaker') {
    const audio = document.getElementById('remote');
    audio.srcObject = call.remoteStream;
    audio.play().catch((e) => record('play-failed', String(e)));
  }
  for (const m of inbox.splice(0)) call.receive(m);
  await call.start();
  return { state: call.state, signalT0: signal.wallT0 };
};

/**
 * bench/handover --probe-ms: every `ms`, each open connection's inbound audio counters
 * (concealment, stretching, jitter buffer) as a 'probe' event, to tell which generation a heard
 * step came from.
 */
window.startProbe = (ms) => {
  const tick = async () => {
    record('probe', await window.inboundAudio());
    setTimeout(tick, ms);
  };
  void tick();
};

/** Snapshot of what a test checks: generation, sources mixed, tracks of remoteStream. */
window.callInfo = () => ({
  elementPlays: document.getElementById('remote').srcObject !== null,
  state: call?.state,
  generation: call?.generation,
  remoteTracks: call?.remoteStream.getAudioTracks().map((t) => t.readyState),
  peerConnections: window.peerConnectionCount(),
  // One muted keep-alive element per generation mixed into remoteStream (src/browserPlatform.ts).
  keepAlives: window.audioElementsPlayingStreams(),
});

// ---- break-before-make baseline --------------------------------------------------------------

function waitGathering(pc) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState === 'complete') {
        pc.removeEventListener('icegatheringstatechange', check);
        resolve();
      }
    };
    pc.addEventListener('icegatheringstatechange', check);
    setTimeout(resolve, 2000);
  });
}

function newRawPc(generation) {
  const pc = new RTCPeerConnection();
  pc.addEventListener('track', (event) => {
    record('raw-track', { generation });
    if (raw.play) {
      const audio = document.getElementById('remote');
      // A new srcObject per generation: what FACTS.md found plays in both browsers.
      audio.srcObject = new MediaStream([event.track]);
      audio.play().catch((e) => record('play-failed', String(e)));
    }
  });
  pc.addEventListener('connectionstatechange', () => {
    if (pc.connectionState === 'connected') record('raw-connected', { generation });
  });
  return pc;
}

window.startRaw = async ({ role, play, seed }) => {
  const stream = await startSignal(seed);
  raw = { role, play, stream, pc: null, generation: -1, connected: null };
  if (role === 'caller') await rawConnect(0);
  return { signalT0: signal.wallT0 };
};

async function rawConnect(generation) {
  raw.generation = generation;
  const pc = newRawPc(generation);
  raw.pc = pc;
  for (const track of raw.stream.getTracks()) pc.addTrack(track, raw.stream);
  await pc.setLocalDescription();
  await waitGathering(pc);
  window.__sendToPeer({ raw: 'offer', generation, sdp: pc.localDescription.sdp });
}

/** Break-before-make: close the connection (both sides), then negotiate a new one. */
window.rawSwitch = async () => {
  const generation = raw.generation + 1;
  record('raw-switch', { generation });
  raw.pc.close();
  window.__sendToPeer({ raw: 'close', generation: raw.generation });
  await rawConnect(generation);
};

async function onRawMessage(message) {
  if (message.raw === 'close') {
    if (raw.pc && raw.generation === message.generation) raw.pc.close();
  } else if (message.raw === 'offer') {
    if (raw.pc) raw.pc.close();
    raw.generation = message.generation;
    const pc = newRawPc(message.generation);
    raw.pc = pc;
    await pc.setRemoteDescription({ type: 'offer', sdp: message.sdp });
    for (const track of raw.stream.getTracks()) pc.addTrack(track, raw.stream);
    await pc.setLocalDescription();
    await waitGathering(pc);
    window.__sendToPeer({
      raw: 'answer',
      generation: message.generation,
      sdp: pc.localDescription.sdp,
    });
  } else if (message.raw === 'answer') {
    if (raw.generation === message.generation) {
      await raw.pc.setRemoteDescription({ type: 'answer', sdp: message.sdp });
    }
  }
}

window.rawInfo = () => ({ generation: raw?.generation, state: raw?.pc?.connectionState });

window.harnessReady = true;
