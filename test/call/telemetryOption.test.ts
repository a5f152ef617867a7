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
    close: vi.fn(async () => undefined),
  };
  return hook satisfies TelemetryHook;
}

describe('the telemetry option', () => {
  it('attaches once the call id is known, on both sides, and closes after the call closed', async () => {
    const [a, b] = [fakeTelemetry(), fakeTelemetry()];
    const pair = createPair({ a: { telemetry: a }, b: { telemetry: b } });
    await connect(pair);
    for (const [hook, call, role] of [
      [a, pair.a, 'caller'],
      [b, pair.b, 'callee'],
    ] as const) {
      expect(hook.attach).toHaveBeenCalledOnce();
      expect(hook.attach.mock.calls[0]![0]).toBe(call);
      expect(hook.attach.mock.calls[0]![1]).toMatchObject({ callId: pair.a.callId, role });
    }
    pair.a.close();
    pair.a.close();
    await run(100);
    expect(a.close).toHaveBeenCalledOnce();
    expect(b.close).toHaveBeenCalledOnce(); // the callee closed on the caller's bye
  });

  it('rejects a telemetry option that was not made by telemetry()', () => {
    expect(() => createPair({ a: { telemetry: { endpoint: 'https://x' } as never } })).toThrow(
      /telemetry must be made by telemetry\(\{ endpoint \}\)/,
    );
  });
});
