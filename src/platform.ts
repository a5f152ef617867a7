/**
 * Everything rekey-rtc takes from the browser, behind one seam so logic is testable without one.
 * Integrators never need this; tests pass fakes.
 */
export interface Platform {
  RTCPeerConnection: new (configuration?: RTCConfiguration) => RTCPeerConnection;
  MediaStream: new (tracks?: MediaStreamTrack[]) => MediaStream;
  /** Returns null where WebAudio is missing; remote audio then falls back to track swapping. */
  createAudioContext(): AudioContext | null;
  /** The AudioWorkletNode constructor, or null where AudioWorklet is missing (remote audio is then crossfaded unaligned). */
  AudioWorkletNode: typeof AudioWorkletNode | null;
  /**
   * Where the playout worklet module is served (beside the SDK's own file), or null: RemotePlayout
   * then makes it from a blob: URL, which a strict Content-Security-Policy may block.
   */
  playoutWorkletUrl: string | null;
  /**
   * Chromium pulls a remote WebRTC track into WebAudio only while the track also plays in a media
   * element (muted is enough; crbug.com/933677). Returns a function that stops that playback.
   */
  playMuted(track: MediaStreamTrack): () => void;
  /** Plays a track aloud in a media element of its own; returns a function that stops it. */
  playAudible(track: MediaStreamTrack): () => void;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
  /** A uniform random number in [0, 1), for jitter. */
  randomFraction(): number;
  /** A random id of 8-64 URL-safe characters. */
  randomId(): string;
  /** Browser engine, from webrtc-adapter's detection. */
  engine: { name: string; version: number | null };
}
