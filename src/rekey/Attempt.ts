import type { Generation } from '../Generation.js';
import type { RekeyReason, RekeyReport } from '../types.js';

/** Why a generation is being built: the first connection, or a re-key. */
export type AttemptPurpose = 'initial' | RekeyReason;

/**
 * One try at building generation `generation`. A retry after a failure is a new Attempt with a
 * new `id`, so late messages of the failed one are recognised and ignored.
 */
export interface Attempt {
  generation: number;
  purpose: AttemptPurpose;
  /** Set by the offerer when it creates the offer; the answerer learns it from the offer. */
  id: string | null;
  startedAt: number;
  connection: Generation | null;
  offerSdp: string | null;
  answerSdp: string | null;
  /** The other side says it already plays this generation. */
  remoteSwitched: boolean;
  timeoutTimer: unknown;
  resendTimer: unknown;
  /** Promises of `call.rekey()` waiting for this attempt. */
  waiters: Array<{ resolve: (report: RekeyReport) => void; reject: (error: Error) => void }>;
}

export function newAttempt(generation: number, purpose: AttemptPurpose, now: number): Attempt {
  return {
    generation,
    purpose,
    id: null,
    startedAt: now,
    connection: null,
    offerSdp: null,
    answerSdp: null,
    remoteSwitched: false,
    timeoutTimer: null,
    resendTimer: null,
    waiters: [],
  };
}
