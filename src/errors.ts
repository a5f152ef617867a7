/** Stable codes of the errors rekey-rtc raises or emits. */
export type RekeyRtcErrorCode =
  | 'malformed-message'
  | 'unknown-call'
  | 'signaling-send-failed'
  | 'negotiation-failed'
  | 'start-timeout'
  | 'closed'
  | 'invalid-state';

/**
 * An error raised or emitted by rekey-rtc. `code` is stable; `message` is for people.
 * Use {@link isRekeyRtcError} rather than `instanceof` across realms (iframes, bundles).
 */
export class RekeyRtcError extends Error {
  override readonly name = 'RekeyRtcError';
  readonly code: RekeyRtcErrorCode;
  /** Marker that survives realms where `instanceof` does not. */
  readonly isRekeyRtcError = true;

  constructor(code: RekeyRtcErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static malformed(detail: string): RekeyRtcError {
    return new RekeyRtcError(
      'malformed-message',
      `ignored a malformed signaling message: ${detail}`,
    );
  }
  static unknownCall(): RekeyRtcError {
    return new RekeyRtcError('unknown-call', 'ignored a signaling message for another call');
  }
  static closed(): RekeyRtcError {
    return new RekeyRtcError('closed', 'the call is closed');
  }
  static startTimeout(ms: number): RekeyRtcError {
    return new RekeyRtcError('start-timeout', `the call did not connect within ${ms} ms`);
  }
}

/** True for errors made by rekey-rtc, in this realm or another. */
export function isRekeyRtcError(value: unknown): value is RekeyRtcError {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { isRekeyRtcError?: unknown }).isRekeyRtcError === true
  );
}
