import { describe, expect, it, vi } from 'vitest';
import type { TelemetryHook } from '../../src/TelemetryHook.js';
import { connect, createPair, run } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

function fakeTelemetry() {
  const hook = {
    kind: 'rekey-rtc.telemetry' as const,
    attach: vi.fn(),
    onError: vi.fn(),
    close: vi.fn(async (_options?: { keepalive?: boolean }) => undefined),
  };
  return hook satisfies TelemetryHook;
}

/** A pair whose caller has a fake telemetry hook and a page-hide the test can trigger. */
function pairWithPageHide() {
  const hide = new Set<() => void>();
  const telemetry = fakeTelemetry();
  const pair = createPair({
    a: {
      telemetry,
      platform: {
        onPageHide: (callback) => {
          hide.add(callback);
          return () => hide.delete(callback);
        },
      },
    },
  });
  return { hide, telemetry, pair };
}

describe('page hide', () => {
  it('ends the call, tells the other side, and flushes telemetry with keepalive', async () => {
    const { hide, telemetry, pair } = pairWithPageHide();
    await connect(pair);
    expect(telemetry.attach).toHaveBeenCalledOnce();
    expect(hide.size).toBe(1);
    for (const callback of [...hide]) callback();
    await run(100);
    expect(pair.a.state).toBe('closed');
    expect(pair.of('a', 'close')).toMatchObject([{ reason: 'local' }]);
    expect(pair.of('b', 'close')).toMatchObject([{ reason: 'remote' }]);
    expect(telemetry.close).toHaveBeenCalledExactlyOnceWith({ keepalive: true });
    expect(hide.size).toBe(0); // the listener is gone with the call
  });

  it('an ordinary close flushes telemetry without keepalive and stops listening', async () => {
    const { hide, telemetry, pair } = pairWithPageHide();
    await connect(pair);
    pair.a.close();
    pair.a.close();
    expect(telemetry.close).toHaveBeenCalledExactlyOnceWith({ keepalive: false });
    expect(hide.size).toBe(0);
  });

  it('rejects a telemetry option that was not made by telemetry()', () => {
    expect(() => createPair({ a: { telemetry: { endpoint: 'https://x' } as never } })).toThrow(
      /telemetry must be made by telemetry\(\{ endpoint \}\)/,
    );
  });
});
