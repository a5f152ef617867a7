import { afterEach, beforeEach, vi } from 'vitest';

/** Every call test runs on fake timers from a fixed instant. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_700_000_000_000 });
  });
  afterEach(() => {
    vi.clearAllTimers();
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });
}
