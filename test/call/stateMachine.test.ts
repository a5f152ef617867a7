import { describe, expect, it, vi } from 'vitest';
import { SecureCall } from '../../src/SecureCall.js';
import { connect, createPair, fakePlatform, run } from '../fakes/harness.js';
import { useFakeClock } from './setup.js';

useFakeClock();

describe('SecureCall state machine', () => {
  it('goes new -> connecting -> connected -> rekeying -> connected -> closed', async () => {
    const pair = createPair({ both: { rekey: false } });
    expect(pair.a.state).toBe('new');
    await connect(pair);
    const report = pair.a.rekey();
    await run(5_000);
    await report;
    pair.a.close();
    await run(100);
    for (const side of ['a', 'b'] as const) {
      expect(pair.of(side, 'state')).toEqual([
        'connecting',
        'connected',
        'rekeying',
        'connected',
        'closed',
      ]);
    }
  });

  it('only emits allowed transitions, whatever the order of events', async () => {
    const allowed: Record<string, string[]> = {
      new: ['connecting', 'closed'],
      connecting: ['connected', 'closed', 'failed'],
      connected: ['rekeying', 'closed', 'failed'],
      rekeying: ['connected', 'closed', 'failed'],
      closed: [],
      failed: [],
    };
    const pair = createPair({ both: { rekey: { intervalMs: 2_000 } } });
    pair.signaling.drop = (m) => m['kind'] === 'switched';
    await connect(pair);
    await run(20_000);
    pair.network.open('a')[0]?.fail();
    await run(20_000);
    pair.b.close();
    await run(100);
    for (const side of ['a', 'b'] as const) {
      let from = 'new';
      for (const to of pair.of(side, 'state') as string[]) {
        expect(allowed[from], `${side}: ${from} -> ${to}`).toContain(to);
        from = to;
      }
    }
  });

  it('close() is idempotent and emits close once with its reason; the other side gets remote', async () => {
    const pair = createPair();
    await connect(pair);
    pair.a.close();
    pair.a.close();
    await run(1_000);
    pair.a.close();
    expect(pair.of('a', 'close')).toEqual([{ reason: 'local', generation: 0 }]);
    expect(pair.of('b', 'close')).toEqual([{ reason: 'remote', generation: 0 }]);
    expect(pair.a.state).toBe('closed');
    expect(pair.b.state).toBe('closed');
    expect(pair.network.open('a')).toHaveLength(0);
    expect(pair.network.open('b')).toHaveLength(0);
  });

  it('close() before start() closes without sending anything', async () => {
    const pair = createPair();
    pair.a.close();
    expect(pair.a.state).toBe('closed');
    expect(pair.of('a', 'close')).toEqual([{ reason: 'local', generation: 0 }]);
    await expect(pair.a.start()).rejects.toMatchObject({ code: 'closed' });
    expect(pair.signaling.tap).toHaveLength(0);
  });

  it('start() twice returns the same promise', async () => {
    const pair = createPair();
    const first = pair.a.start();
    expect(pair.a.start()).toBe(first);
    void pair.b.start();
    await run(1_000);
    await expect(first).resolves.toBeUndefined();
    expect(pair.a.start()).toBe(first);
  });

  it('start() after close rejects with code closed', async () => {
    const pair = createPair();
    await connect(pair);
    pair.a.close();
    const again = createPair();
    again.b.close();
    await expect(again.b.start()).rejects.toMatchObject({ code: 'closed' });
    // Also on a call that was started and connected before it closed.
    await expect(pair.a.start()).rejects.toMatchObject({ code: 'closed' });
  });

  it('close() during connecting rejects start() with code closed', async () => {
    const pair = createPair();
    const started = pair.a.start();
    pair.a.close();
    await expect(started).rejects.toMatchObject({ code: 'closed' });
  });

  it('start timeout: state failed, close reason start-timeout, start() rejects', async () => {
    const call = new SecureCall({
      role: 'caller',
      send: () => undefined,
      connectTimeoutMs: 5_000,
      platform: fakePlatform({ label: 'lonely' }),
    });
    const closes: unknown[] = [];
    const states: string[] = [];
    call.on('close', (info) => closes.push(info));
    call.on('state', (s) => states.push(s));
    const started = call.start();
    const rejected = expect(started).rejects.toMatchObject({ code: 'start-timeout' });
    await run(4_999);
    expect(call.state).toBe('connecting');
    await run(1);
    await rejected;
    expect(call.state).toBe('failed');
    expect(states).toEqual(['connecting', 'failed']);
    expect(closes).toEqual([{ reason: 'start-timeout', generation: 0 }]);
    call.close();
    expect(closes).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a rejected start() is not an unhandled rejection when nobody awaits it', async () => {
    const call = new SecureCall({
      role: 'callee',
      send: () => undefined,
      connectTimeoutMs: 1_000,
      platform: fakePlatform(),
    });
    void call.start();
    await run(2_000);
    expect(call.state).toBe('failed');
  });

  it('exposes one remoteStream from construction to close', async () => {
    const pair = createPair({ both: { rekey: false } });
    const stream = pair.b.remoteStream;
    await connect(pair);
    expect(pair.b.remoteStream).toBe(stream);
    expect(stream.getAudioTracks()).toHaveLength(1);
    const first = stream.getAudioTracks()[0];
    const rekey = pair.a.rekey();
    await run(6_000);
    await rekey;
    expect(pair.b.remoteStream).toBe(stream);
    expect(stream.getAudioTracks()).toHaveLength(1);
    expect(stream.getAudioTracks()[0]).not.toBe(first);
  });
});

describe('SecureCall state machine: edges', () => {
  it('a callee that starts late gets the buffered messages and connects', async () => {
    const pair = createPair({ both: { rekey: false } });
    const caller = pair.a.start();
    await run(2_500);
    expect(pair.b.state).toBe('new');
    const callee = pair.b.start();
    await run(1_000);
    await Promise.all([caller, callee]);
    expect(pair.b.callId).toBe(pair.a.callId);
    expect(pair.network.connections('b')).toHaveLength(1);
  });

  it('rekey() before the call is connected rejects with invalid-state, after close with closed', async () => {
    const pair = createPair();
    await expect(pair.a.rekey()).rejects.toMatchObject({ code: 'invalid-state' });
    void pair.a.start();
    await expect(pair.a.rekey()).rejects.toMatchObject({ code: 'invalid-state' });
    pair.a.close();
    await expect(pair.a.rekey()).rejects.toMatchObject({ code: 'closed' });
  });

  it('the other side closing during a re-key rejects rekey() and closes with reason remote', async () => {
    const pair = createPair({ both: { rekey: false } });
    await connect(pair);
    pair.network.connectDelayMs = 2_000;
    const rekey = pair.a.rekey();
    const rejected = expect(rekey).rejects.toMatchObject({ code: 'closed' });
    await run(100);
    expect(pair.b.state).toBe('rekeying');
    pair.b.close();
    await run(100);
    await rejected;
    expect(pair.of('a', 'close')).toEqual([{ reason: 'remote', generation: 0 }]);
    expect(pair.of('a', 'rekeyfailed')).toEqual([]);
    expect(pair.network.open('a')).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('generation counts up from 0 and security follows the connection in use', async () => {
    const pair = createPair({ both: { rekey: false } });
    expect(pair.a.generation).toBe(0);
    expect(pair.a.security).toBeNull();
    await connect(pair);
    await run(100);
    expect(pair.a.security?.generation).toBe(0);
    for (let g = 1; g <= 3; g++) {
      const r = pair.b.rekey();
      await run(2_000);
      await r;
      expect(pair.a.generation).toBe(g);
      expect(pair.a.security?.generation).toBe(g);
    }
  });
});
