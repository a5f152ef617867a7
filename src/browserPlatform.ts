// Only webrtc-adapter's browser detection: importing the whole package would patch the page's
// RTCPeerConnection (its shims) for the app too, and weigh 13 KB gzipped of the script tag.
import { detectBrowser } from 'webrtc-adapter/dist/utils.js';
import type { Platform } from './platform.js';

function randomId(): string {
  if (typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function')
    return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function playTrack(track: MediaStreamTrack, muted: boolean): () => void {
  if (typeof document === 'undefined') return () => undefined;
  const element = document.createElement('audio');
  element.muted = muted;
  element.srcObject = new MediaStream([track]);
  // A rejected play() (autoplay policy) is not reported here: a muted keep-alive may not be
  // needed, and audible playback starts with the call's resume() from a user gesture.
  element.play().catch(() => undefined);
  return () => {
    element.pause();
    element.srcObject = null;
  };
}

/**
 * dist/rekey-rtc-playout.worklet.js, beside this bundle: `import.meta.url` is the ES module's own
 * address (bundlers that follow `new URL(..., import.meta.url)` copy the file), and the script-tag
 * build's is its <script> src.
 */
function playoutWorkletUrl(): string | null {
  try {
    return new URL('./rekey-rtc-playout.worklet.js', import.meta.url).href;
  } catch {
    return null;
  }
}

/** The real browser platform. Created lazily so importing the SDK touches nothing. */
export function browserPlatform(): Platform {
  const details = detectBrowser(globalThis as unknown as Window);
  return {
    RTCPeerConnection: globalThis.RTCPeerConnection,
    MediaStream: globalThis.MediaStream,
    createAudioContext: () => {
      const Ctor =
        globalThis.AudioContext ??
        (globalThis as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
      if (!Ctor) return null;
      // WebRTC decodes audio at 48 kHz: a context at that rate mixes it without resampling.
      try {
        return new Ctor({ latencyHint: 'interactive', sampleRate: 48_000 });
      } catch {
        return new Ctor({ latencyHint: 'interactive' });
      }
    },
    AudioWorkletNode: typeof AudioWorkletNode === 'function' ? AudioWorkletNode : null,
    playoutWorkletUrl: playoutWorkletUrl(),
    playMuted: (track) => playTrack(track, true),
    playAudible: (track) => playTrack(track, false),
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    randomFraction: () => Math.random(),
    randomId,
    engine: {
      name: details.browser ?? 'unknown',
      version: typeof details.version === 'number' ? details.version : null,
    },
  };
}
