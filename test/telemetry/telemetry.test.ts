import { EventEmitter } from 'eventemitter3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RecordedCall } from '../../src/telemetry/CallRecorder';
import { MemoryRecordStore } from '../../src/telemetry/RecordStore';
import { telemetry } from '../../src/telemetry/telemetry';
import { ENDPOINT, FakeCollector, policy, settle, snapshot } from './fixtures';

describe('telemetry() hook', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup() {
    const collector = new FakeCollector();
    const hook = telemetry(
      { endpoint: ENDPOINT, flushIntervalMs: 600_000 },
      {
        fetch: collector.fetch,
        storage: new MemoryRecordStore(),
        setTimeout: (cb, ms) => setTimeout(cb, ms),
        clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
        now: () => Date.now(),
        random: () => 0.5,
      },
    );
    const call = new EventEmitter();
    hook.attach(call as unknown as RecordedCall, {
      callId: 'call-0123456789',
      role: 'caller',
      policy: policy(),
      rekey: null,
      sdkVersion: '0.1.0',
      browser: { name: 'chrome', version: 156 },
      now: () => Date.now(),
    });
    return { collector, hook, call };
  }

  it('records the call into its reporter; close() delivers what waits for its batch', async () => {
    const { collector, hook, call } = setup();
    call.emit('security', snapshot());
    await settle();
    expect(collector.requests).toEqual([]); // the batch interval is far away
    call.emit('close', { reason: 'local', generation: 0 });
    await hook.close();
    await settle();
    expect(collector.requests.map((r) => r.records.map((x) => x.kind))).toEqual([
      ['session-start', 'handshake', 'session-end'],
    ]);
  });

  it('serves one call only, and close() is idempotent', async () => {
    const { hook, call } = setup();
    expect(() => hook.attach(call as unknown as RecordedCall, {} as never)).toThrow(/one call/);
    const first = hook.close();
    expect(hook.close()).toBe(first);
    await first;
  });
});
