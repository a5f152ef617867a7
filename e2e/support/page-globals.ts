// What e2e/pages/call-harness.js puts on `window`, typed for page.evaluate() callbacks.
import type { CallState, SecuritySnapshot } from '../../src/types';

export interface RecordedEvent {
  type: string;
  /** Date.now() in the page when the event fired. */
  at: number;
  /** The event payload, JSON-cloned (errors as { name, message, code }). */
  data: unknown;
}

/** Options passed through `window.startCall`; `send` and `localStream` are added by the page. */
export interface PageCallOptions {
  role: 'caller' | 'callee';
  rtcConfiguration?: RTCConfiguration;
  policy?: Record<string, unknown>;
  statsIntervalMs?: number;
  rekey?: false | Record<string, unknown>;
  connectTimeoutMs?: number;
  /** Frequency of the page's oscillator tone. Not a SecureCall option. */
  toneHz?: number;
}

export interface StartResult {
  state: CallState;
  security: SecuritySnapshot | null;
}

/** The public surface of SecureCall the specs touch inside pages. */
export interface PageCall {
  readonly state: CallState;
  readonly security: SecuritySnapshot | null;
  readonly remoteStream: MediaStream;
  receive(message: unknown): void;
  start(): Promise<void>;
  close(): void;
  on(event: string, listener: (payload: unknown) => void): unknown;
}

declare global {
  interface Window {
    harnessReady?: boolean;
    /** Which build the page loaded: 'esm' or 'script'. */
    bundle?: string;
    events: RecordedEvent[];
    call?: PageCall;
    remoteStreamAtConstruction?: MediaStream;
    startCall(options: PageCallOptions): Promise<StartResult>;
    __sendToPeer(message: unknown): Promise<void>;
    __receiveFromPeer(message: unknown): void;
    RekeyRTC?: { SecureCall: new (options: unknown) => PageCall; [name: string]: unknown };
  }
}
