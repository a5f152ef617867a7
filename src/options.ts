import type { PolicyOptions } from './policy/Policy.js';
import type { Platform } from './platform.js';
import type { RekeyOptions } from './rekey/RekeyOptions.js';
import type { SignalingMessage } from './signaling/messages.js';
import type { TelemetryHook } from './TelemetryHook.js';

/** Options of {@link SecureCall}. */
export interface SecureCallOptions {
  /** Exactly one side of a call is the `caller`; it opens the call and chooses its id. */
  role: 'caller' | 'callee';
  /**
   * Delivers a message to the other side over the app's signaling. Messages are plain
   * JSON-serialisable objects; relay them unchanged to the other side's `call.receive()`.
   * They contain SDP: send them over an authenticated, encrypted channel.
   */
  send: (message: SignalingMessage) => void;
  /**
   * Local media, sent on every generation as it is (no new getUserMedia at a re-key).
   * Audio first; video tracks are carried too. Omit it to only receive.
   */
  localStream?: MediaStream;
  /** Passed to each RTCPeerConnection (ICE servers, transport policy...). */
  rtcConfiguration?: RTCConfiguration;
  /**
   * The compliance policy. Defaults: DTLS >= 1.2 (close), 1.3 preferred, forward secrecy
   * (close), SRTP floor AEAD_AES_128_GCM (report).
   */
  policy?: PolicyOptions;
  /**
   * How often the security monitor reads getStats(). At least 100.
   * @default 1000
   */
  statsIntervalMs?: number;
  /**
   * Scheduled re-keying, or `false` to re-key only on demand or on the other side's request.
   * @default { intervalMs: 3_600_000, maxBytes: 1_000_000_000 }
   */
  rekey?: RekeyOptions | false;
  /**
   * How long `start()` waits for the first connection.
   * @default 30_000
   */
  connectTimeoutMs?: number;
  /**
   * Compliance telemetry: per-session records (what was negotiated, every re-key, every
   * violation) sent to a collector. Made by `telemetry(options)` from the add-on
   * `rekey-rtc/telemetry` (script tag: `RekeyRTCTelemetry.telemetry`), one per call, so calls
   * without telemetry do not ship its code. `false` or omitted sends nothing.
   * @default false
   * @example
   * telemetry({ endpoint: 'https://collector.example.com/v1/events', headers: { Authorization: 'Bearer ingest-key' } })
   */
  telemetry?: TelemetryHook | false;
  /**
   * Longest wait for ICE candidate gathering before an offer or answer is sent.
   * @default 3_000
   */
  iceGatheringTimeoutMs?: number;
  /**
   * Who plays the remote audio.
   * - `'remoteStream'`: the app does, by attaching `call.remoteStream` to an `<audio>` element.
   * - `'speaker'`: the SDK does, from its AudioContext straight to the default audio output; do
   *   not also play `remoteStream` (it still carries the same audio, for recording or meters).
   *   Better in Chromium: its `<audio>` element resamples a WebAudio-made stream to its own
   *   clock, which garbled or pitch-shifted the first seconds of 5 in 6 freshly started calls in
   *   our measurements (BENCHMARKS.md); played from the AudioContext, none. Without WebAudio the
   *   SDK plays each generation in an `<audio>` element of its own.
   * @default 'remoteStream'
   */
  audioOutput?: 'remoteStream' | 'speaker';
  /** @internal Replaces browser APIs, for tests. */
  platform?: Partial<Platform>;
}

export interface ResolvedCallOptions {
  role: 'caller' | 'callee';
  send: (message: SignalingMessage) => void;
  localStream: MediaStream | undefined;
  rtcConfiguration: RTCConfiguration | undefined;
  statsIntervalMs: number;
  connectTimeoutMs: number;
  iceGatheringTimeoutMs: number;
  audioOutput: 'remoteStream' | 'speaker';
}

const KNOWN = new Set([
  'role',
  'send',
  'localStream',
  'rtcConfiguration',
  'policy',
  'statsIntervalMs',
  'rekey',
  'telemetry',
  'connectTimeoutMs',
  'iceGatheringTimeoutMs',
  'audioOutput',
  'platform',
]);

function positive(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new TypeError(`${name} must be a number >= ${min}`);
  }
  return value;
}

/** Checks the plain options; the policy, rekey and telemetry sections validate themselves. */
export function resolveCallOptions(options: unknown): ResolvedCallOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError('SecureCall needs an options object');
  const o = options as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw new TypeError(`${key} is not a SecureCall option`);
  }
  if (o['role'] !== 'caller' && o['role'] !== 'callee')
    throw new TypeError("role must be 'caller' or 'callee'");
  if (typeof o['send'] !== 'function')
    throw new TypeError('send must be a function that delivers a message to the other side');
  const stream = o['localStream'];
  if (
    stream !== undefined &&
    (stream === null || typeof (stream as MediaStream).getTracks !== 'function')
  ) {
    throw new TypeError('localStream must be a MediaStream');
  }
  const config = o['rtcConfiguration'];
  if (config !== undefined && (config === null || typeof config !== 'object')) {
    throw new TypeError('rtcConfiguration must be an RTCConfiguration object');
  }
  const audioOutput = o['audioOutput'] === undefined ? 'remoteStream' : o['audioOutput'];
  if (audioOutput !== 'remoteStream' && audioOutput !== 'speaker')
    throw new TypeError("audioOutput must be 'remoteStream' or 'speaker'");
  return {
    role: o['role'],
    send: o['send'] as ResolvedCallOptions['send'],
    localStream: stream as MediaStream | undefined,
    rtcConfiguration: config as RTCConfiguration | undefined,
    statsIntervalMs: positive('statsIntervalMs', o['statsIntervalMs'], 1000, 100),
    connectTimeoutMs: positive('connectTimeoutMs', o['connectTimeoutMs'], 30_000, 1000),
    iceGatheringTimeoutMs: positive(
      'iceGatheringTimeoutMs',
      o['iceGatheringTimeoutMs'],
      3_000,
      100,
    ),
    audioOutput,
  };
}
