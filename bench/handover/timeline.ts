// Steps of the heard timeline, as the bench's readers of saved recordings count them (steps.ts,
// concealment.ts): a change of delay over STEP_MS between two consecutive correctly heard symbols.
import type { Run } from '../../e2e/audio/decode';

export const STEP_MS = 5;

export interface Step {
  /** Centre of the symbol before the step, ms of recording. */
  fromMs: number;
  /** Centre of the symbol after it, ms of recording. */
  atMs: number;
  /** Delay change, ms: > 0 later (content inserted), < 0 earlier (content skipped). */
  stepMs: number;
}

/** The steps between consecutive symbols of `good` (correctly heard runs, in order). */
export function heardSteps(good: Run[], perMs: number): Step[] {
  const steps: Step[] = [];
  for (let i = 1; i < good.length; i++) {
    const stepMs = (good[i]!.delay - good[i - 1]!.delay) / perMs;
    if (Math.abs(stepMs) > STEP_MS)
      steps.push({ fromMs: good[i - 1]!.center / perMs, atMs: good[i]!.center / perMs, stepMs });
  }
  return steps;
}
