import type { Platform } from '../platform.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import type { Policy } from '../policy/Policy.js';
import type { SecuritySnapshot, Violation } from '../types.js';
import type { TransportSecurity } from './normalizeStats.js';

/** What the monitor reads: one generation's connection. */
export interface MonitoredConnection {
  readonly number: number;
  readSecurity(): Promise<TransportSecurity>;
}

/** Where the monitor reports; the call turns these into its public events and policy actions. */
export interface MonitorListener {
  /** Every read of a connection whose DTLS is up. */
  stats(snapshot: SecuritySnapshot): void;
  /** A security-relevant field changed (not the byte counters); the first read of each generation. */
  security(snapshot: SecuritySnapshot): void;
  /** A rule broken for the first time in this generation. */
  violation(violation: Violation): void;
}

/** One snapshot: the normalised stats plus the policy's verdict on them. */
export function toSnapshot(
  security: TransportSecurity,
  policy: Policy,
  generation: number,
  timestamp: number,
): SecuritySnapshot {
  const { dtlsConnected: _connected, audioPacketsReceived: _packets, ...negotiated } = security;
  const verdict = evaluatePolicy(security, policy, generation);
  return {
    generation,
    timestamp,
    ...negotiated,
    violations: verdict.violations,
    advisories: verdict.advisories,
    compliant: verdict.violations.length === 0,
  };
}

/**
 * Polls the active connection's getStats() every `intervalMs` and turns each read into a
 * snapshot checked against the policy. One read at a time; a read of a connection that is no
 * longer watched when it returns is dropped.
 */
export class SecurityMonitor {
  /** The latest snapshot of the watched connection's line, or null before the first. */
  latest: SecuritySnapshot | null = null;
  private target: MonitoredConnection | null = null;
  private timer: unknown = null;
  private reading = false;
  private stopped = false;
  private lastKey: string | null = null;
  private readonly reported = new Set<string>();

  constructor(
    private readonly platform: Platform,
    private readonly policy: Policy,
    private readonly intervalMs: number,
    private readonly listener: MonitorListener,
  ) {}

  /** Watches `connection` from now on (a new generation) and reads it at once. */
  watch(connection: MonitoredConnection): void {
    if (this.stopped) return;
    this.target = connection;
    if (this.timer === null) this.schedule();
    void this.read();
  }

  /**
   * This connection's own snapshot: the latest if it is of that generation, else a fresh read
   * (without events). Null when its DTLS is not up or it is closed.
   */
  async snapshotOf(connection: MonitoredConnection): Promise<SecuritySnapshot | null> {
    if (this.latest?.generation === connection.number) return this.latest;
    try {
      const security = await connection.readSecurity();
      return security.dtlsConnected ? this.build(security, connection.number) : null;
    } catch {
      return null;
    }
  }

  /** Stops polling for good. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.platform.clearTimeout(this.timer);
    this.timer = null;
    this.target = null;
  }

  private schedule(): void {
    this.timer = this.platform.setTimeout(() => {
      if (this.stopped) return;
      this.schedule();
      void this.read();
    }, this.intervalMs);
  }

  private async read(): Promise<void> {
    const connection = this.target;
    if (!connection || this.reading) return;
    this.reading = true;
    let security: TransportSecurity;
    try {
      security = await connection.readSecurity();
    } catch {
      return; // closed under us; the next tick reads the connection watched then
    } finally {
      this.reading = false;
    }
    if (this.stopped || connection !== this.target || !security.dtlsConnected) return;
    const snapshot = this.build(security, connection.number);
    this.latest = snapshot;
    this.listener.stats(snapshot);
    const { bytesSent: _s, bytesReceived: _r, timestamp: _t, ...relevant } = snapshot;
    const key = JSON.stringify(relevant);
    if (this.stopped || key === this.lastKey) return;
    this.lastKey = key;
    this.listener.security(snapshot);
    for (const violation of snapshot.violations) {
      const id = `${violation.generation}:${violation.rule}`;
      if (this.stopped || this.reported.has(id)) continue;
      this.reported.add(id);
      this.listener.violation(violation);
    }
  }

  private build(security: TransportSecurity, generation: number): SecuritySnapshot {
    return toSnapshot(security, this.policy, generation, this.platform.now());
  }
}
