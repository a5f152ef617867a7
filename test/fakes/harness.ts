import { vi } from 'vitest';
import { mulberry32 } from '../../e2e/audio/signal.mjs';
import { SecureCall } from '../../src/SecureCall.js';
import type { SecureCallOptions } from '../../src/options.js';
import type { Platform } from '../../src/platform.js';
import { audioStream, FakeMediaStream } from './FakeMediaStream.js';
import { FakeNetwork, type Engine } from './FakeNetwork.js';
import { FakeSignaling, type Side } from './FakeSignaling.js';

/** A deterministic PRNG (the audio tests' mulberry32) so jitter is the same every run. */
export const seeded: (seed: number) => () => number = mulberry32;

export interface FakePlatformOptions {
  engine?: Engine;
  network?: FakeNetwork;
  label?: string;
  /** Fixed value or generator for jitter. */
  randomFraction?: number | (() => number);
}

/**
 * A Platform on vitest's fake timers: setTimeout/clearTimeout/now come from the (faked) globals,
 * ids are counters, there is no WebAudio (RemotePlayout swaps tracks), playMuted does nothing.
 */
export function fakePlatform(options: FakePlatformOptions = {}): Platform {
  const label = options.label ?? 'x';
  const network = options.network ?? new FakeNetwork();
  let ids = 0;
  const fraction = options.randomFraction ?? 0.5;
  return {
    RTCPeerConnection: network.peerConnectionClass(options.engine ?? 'chrome', label),
    MediaStream: FakeMediaStream as unknown as Platform['MediaStream'],
    createAudioContext: () => null,
    AudioWorkletNode: null,
    playoutWorkletUrl: null,
    playMuted: () => () => undefined,
    playAudible: () => () => undefined,
    setTimeout: (callback, ms) => setTimeout(callback, ms),
    clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    now: () => Date.now(),
    randomFraction: typeof fraction === 'function' ? fraction : () => fraction,
    randomId: () => `id-${label}-${String(++ids).padStart(4, '0')}`,
    engine: { name: options.engine ?? 'chrome', version: 156 },
  };
}

export type CallOptions = Omit<SecureCallOptions, 'role' | 'send' | 'platform'> & {
  platform?: Partial<Platform>;
};

export interface PairOptions {
  /** Engine of side a (the caller) and side b (the callee). */
  engines?: [Engine, Engine];
  a?: CallOptions;
  b?: CallOptions;
  /** Both options, merged under a/b. */
  both?: CallOptions;
  /** Give each side a local audio stream (default true). */
  media?: boolean;
  randomFraction?: number | (() => number);
}

export interface Pair {
  a: SecureCall;
  b: SecureCall;
  network: FakeNetwork;
  signaling: FakeSignaling;
  /** Every event each side emitted, in order. */
  events: Record<Side, Array<{ event: string; args: unknown[] }>>;
  of(side: Side, event: string): unknown[];
}

const EVENTS = [
  'state',
  'security',
  'violation',
  'rekeystart',
  'rekey',
  'rekeyfailed',
  'error',
  'close',
] as const;

/** Two calls, a = caller and b = callee, over one fake network and one fake signaling link. */
export function createPair(options: PairOptions = {}): Pair {
  const network = new FakeNetwork();
  const signaling = new FakeSignaling();
  const [ea, eb] = options.engines ?? ['chrome', 'chrome'];
  const media = options.media ?? true;
  const make = (
    side: Side,
    role: 'caller' | 'callee',
    engine: Engine,
    extra: CallOptions | undefined,
  ) => {
    const { platform, ...rest } = { ...options.both, ...extra };
    return new SecureCall({
      role,
      send: signaling.sender(side),
      ...(media ? { localStream: audioStream(side) } : {}),
      ...rest,
      platform: {
        ...fakePlatform({ engine, network, label: side, randomFraction: options.randomFraction }),
        ...platform,
      },
    });
  };
  const a = make('a', 'caller', ea, options.a);
  const b = make('b', 'callee', eb, options.b);
  signaling.attach('a', a);
  signaling.attach('b', b);
  const events: Pair['events'] = { a: [], b: [] };
  for (const [side, call] of [
    ['a', a],
    ['b', b],
  ] as const) {
    for (const event of EVENTS)
      call.on(event, (...args: unknown[]) => events[side].push({ event, args }));
  }
  return {
    a,
    b,
    network,
    signaling,
    events,
    of: (side, event) => events[side].filter((e) => e.event === event).map((e) => e.args[0]),
  };
}

/**
 * Starts both sides and runs the clock in 5 ms steps until both are connected; rejects if that
 * takes more than `ms`. Leaves the clock at most 5 ms after the connection.
 */
export async function connect(pair: Pair, ms = 5_000): Promise<void> {
  const started = Promise.all([pair.a.start(), pair.b.start()]);
  started.catch(() => undefined);
  for (let waited = 0; waited < ms; waited += 5) {
    if (pair.a.state === 'connected' && pair.b.state === 'connected') break;
    await vi.advanceTimersByTimeAsync(5);
  }
  if (pair.a.state !== 'connected' || pair.b.state !== 'connected') {
    throw new Error(`not connected after ${ms} ms: a ${pair.a.state}, b ${pair.b.state}`);
  }
  await started;
}

/** When side's call last entered `state`, by the fake clock. */
export function stateTimes(call: {
  on(event: 'state', fn: (s: string) => void): unknown;
}): Map<string, number> {
  const times = new Map<string, number>();
  call.on('state', (s) => times.set(s, Date.now()));
  return times;
}

/** Runs the fake clock forward, letting promises settle in between. */
export async function run(ms: number): Promise<void> {
  await vi.advanceTimersByTimeAsync(ms);
}
