/**
 * Public data types of rekey-rtc. Everything here is plain, JSON-serialisable data.
 * @packageDocumentation
 */

/** DTLS protocol version as negotiated, or null while unknown. */
export type DtlsVersion = '1.0' | '1.2' | '1.3';

/**
 * Canonical DTLS-SRTP protection profile names (RFC 5764 / RFC 7714 spelling). Browsers report
 * either these SDES-style names or the IANA names (`SRTP_AES128_CM_HMAC_SHA1_80`); both map here.
 */
export type SrtpProfile =
  'AES_CM_128_HMAC_SHA1_32' | 'AES_CM_128_HMAC_SHA1_80' | 'AEAD_AES_128_GCM' | 'AEAD_AES_256_GCM';

/** ICE candidate type of the selected pair. Never an address. */
export type CandidateType = 'host' | 'srflx' | 'prflx' | 'relay';

/** Names of the policy rules. */
export type PolicyRule = 'dtls-version' | 'forward-secrecy' | 'srtp-profile';

/**
 * What a rule does when it is violated.
 * - `report`: emit `violation`, mark the snapshot non-compliant, keep the call.
 * - `rekey`: like `report`, then re-key once (reason `'policy'`) hoping for a better negotiation.
 * - `close`: emit `violation`, then close the call with reason `policy:<rule>`.
 */
export type RuleAction = 'report' | 'rekey' | 'close';

/** One broken policy rule, as seen in one snapshot. */
export interface Violation {
  rule: PolicyRule;
  action: RuleAction;
  /** Human-readable explanation, safe to log (no key material). */
  message: string;
  /** What the policy required, e.g. `'>= 1.2'`. */
  expected: string;
  /** What was negotiated, e.g. `'1.0'`, or `'unknown'`. */
  actual: string;
  /** Generation whose handshake produced the violation. */
  generation: number;
}

/** Something worth reporting that does not break the policy. */
export interface Advisory {
  code: 'dtls-legacy-fallback';
  message: string;
  generation: number;
}

/** The security state of the call's active connection, normalised across browsers. */
export interface SecuritySnapshot {
  /** 0 for the first connection, +1 per completed re-key. */
  generation: number;
  /** Milliseconds since the epoch when the snapshot was read. */
  timestamp: number;
  dtlsVersion: DtlsVersion | null;
  /** IANA cipher suite name, e.g. `TLS_AES_128_GCM_SHA256`. */
  dtlsCipher: string | null;
  srtpProfile: SrtpProfile | null;
  /** True for every DTLS 1.3 suite and for (EC)DHE suites in DTLS 1.2. */
  forwardSecrecy: boolean;
  dtlsRole: 'client' | 'server' | null;
  bytesSent: number;
  bytesReceived: number;
  /** Uppercase hex pairs separated by colons, as in SDP `a=fingerprint`. */
  localFingerprint: string | null;
  remoteFingerprint: string | null;
  /** Hash function of the fingerprints, e.g. `sha-256`. */
  fingerprintAlgorithm: string | null;
  candidateType: CandidateType | null;
  remoteCandidateType: CandidateType | null;
  violations: Violation[];
  advisories: Advisory[];
  /** False while any rule is violated, whatever that rule's action. */
  compliant: boolean;
}

/** Why a re-key happened. */
/**
 * Why a re-key happened: `interval` and `bytes` are the schedule, `manual` is `call.rekey()`,
 * `remote` is the other side's request, `policy` a rule whose action is `rekey`, and `recovery`
 * the current connection failing (a new one replaces it instead of dropping the call).
 */
export type RekeyReason = 'interval' | 'bytes' | 'manual' | 'remote' | 'policy' | 'recovery';

/** Evidence of one completed re-key, emitted as `rekey` on both sides. */
export interface RekeyReport {
  /** The generation now carrying media. */
  generation: number;
  reason: RekeyReason;
  /** From the first offer/answer step to DTLS connected on the new connection. */
  handshakeMs: number;
  /** How long both connections were open and carrying audio. */
  overlapMs: number;
  /** This side's certificate fingerprint of the retired connection. */
  previousFingerprint: string | null;
  /** This side's certificate fingerprint of the new connection. */
  fingerprint: string | null;
  /** The remote side's fingerprints, before and after. */
  previousRemoteFingerprint: string | null;
  remoteFingerprint: string | null;
  snapshot: SecuritySnapshot;
  /** How this side's playout switched to the new connection; null if it had not switched yet. */
  handover: HandoverInfo | null;
}

/**
 * How this side's playout moved from the old connection to the new one at a re-key: evidence
 * that nobody heard it, or why they may have.
 */
export interface HandoverInfo {
  generation: number;
  /**
   * - `aligned`: the two generations' offset was measured and checked on the audio thread
   *   (on the last 30 ms) right before a crossfade of two aligned copies.
   * - `unverified`: the switch could not be checked: the budget ran out and the last offset
   *   measured no longer matched (nor one within 5 ms of it), or the new generation played
   *   later than the old one could be delayed into (see `shortfallMs`); switched on the last
   *   offset all the same.
   * - `crossfade`: no measurement (silence, short budget, no AudioWorklet): a plain crossfade.
   * - `swap`: no WebAudio: the stream's track was swapped.
   */
  method: 'aligned' | 'unverified' | 'crossfade' | 'swap';
  /** How much later than the old generation the new one was made to play; null: not measured. */
  lagMs: number | null;
  /** Part of the offset that could not be aligned (heard as a skip or repeat); 0 when aligned. */
  shortfallMs: number;
  /** From the start of the switch (audio flowing on the new connection) to the crossfade. */
  waitedMs: number;
  /** Measurements of the offset taken, and how many of them found the two correlated. */
  measurements: { taken: number; correlated: number };
  /** When the crossfade began (ms since the epoch, the platform clock). */
  at: number;
}

/** A re-key attempt that did not complete. The old connection still carries the call. */
export interface RekeyFailure {
  /** The generation that was being built. */
  generation: number;
  reason: RekeyReason;
  code: 'timeout' | 'connection-failed' | 'remote-aborted' | 'negotiation-failed';
  message: string;
  /** Consecutive failures so far. */
  attempt: number;
  /** Delay before the next attempt, or null when none is scheduled. */
  retryInMs: number | null;
}

export type CallState = 'new' | 'connecting' | 'connected' | 'rekeying' | 'closed' | 'failed';

/** Why the call ended. `policy:<rule>` names the rule that closed it. */
export type CloseReason =
  'local' | 'remote' | 'connection-failed' | 'start-timeout' | `policy:${PolicyRule}`;

export interface CloseInfo {
  reason: CloseReason;
  /** Present when the reason is a policy rule. */
  violation?: Violation;
  /** Generation in use when the call ended. */
  generation: number;
}
