/**
 * rekey-rtc: make-before-break SRTP re-keying, a DTLS-SRTP security monitor and a compliance
 * policy for WebRTC voice calls.
 * @packageDocumentation
 */
export { SecureCall, type SecureCallEvents } from './SecureCall.js';
export type { SecureCallOptions } from './options.js';
export type { PolicyOptions, Policy } from './policy/Policy.js';
export { DEFAULT_POLICY } from './policy/Policy.js';
export type { RekeyOptions, ResolvedRekeyOptions } from './rekey/RekeyOptions.js';
export { DEFAULT_REKEY } from './rekey/RekeyOptions.js';
export { RekeyRtcError, isRekeyRtcError, type RekeyRtcErrorCode } from './errors.js';
export type {
  SignalingMessage,
  HelloMessage,
  HelloAckMessage,
  RekeyRequestMessage,
  OfferMessage,
  AnswerMessage,
  SwitchedMessage,
  AbortMessage,
  ByeMessage,
} from './signaling/messages.js';
export {
  normalizeStats,
  type TransportSecurity,
  type StatsEntry,
  type SdpPair,
} from './monitor/normalizeStats.js';
export { normalizeSrtpProfile } from './monitor/srtp.js';
export { parseDtlsVersion } from './monitor/dtls.js';
export { VERSION } from './version.js';
export type * from './types.js';
export type { TelemetryHook, TelemetrySession } from './TelemetryHook.js';
export type { TelemetryError, TelemetryErrorCode } from './telemetry/TelemetryReporter.js';
