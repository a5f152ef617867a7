// The reference collector as a real child process (`node --import tsx server/collector/main.ts`),
// configured through its environment the way an operator would, on 127.0.0.1 with a temp SQLite
// file. Tests stop it (SIGKILL: a crash, not a graceful shutdown) and start it again on the same
// port and file.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

// Keys as the collector wants them (>= 16 characters); the ingest key goes to the pages.
export const INGEST_KEY = 'e2e-telemetry-ingest-key-0001';
export const READ_KEY = 'e2e-telemetry-read-key-000001';

export { freePort } from '../../server/collector/process';

export interface StoredRecord {
  receivedAt: number;
  record: Record<string, unknown> & {
    id: string;
    sessionId: string;
    seq: number;
    kind: string;
    role: 'caller' | 'callee';
    generation: number;
    data: Record<string, unknown>;
  };
}

export interface SessionView {
  /** The response body as received: what the forbidden-content scan reads. */
  text: string;
  session: Record<string, unknown>;
  timeline: StoredRecord[];
}

/**
 * One collector deployment: a port, a SQLite file and the allowed origin. `start()` runs a
 * process, `kill()` crashes it; they may alternate. `dispose()` kills whatever runs and removes
 * the temp directory (the fixture calls it, pass or fail).
 */
export class Collector {
  readonly dir: string;
  readonly dbFile: string;
  private child: ChildProcess | null = null;
  private exited: Promise<void> | null = null;
  /** The last lines the processes wrote, for failure messages. */
  readonly output: string[] = [];
  starts = 0;

  constructor(
    readonly port: number,
    private readonly corsOrigin: string,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'rekey-telemetry-e2e-'));
    this.dbFile = join(this.dir, 'collector.db');
  }

  /** The origin of the collector, e.g. `http://127.0.0.1:41234`. */
  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get endpoint(): string {
    return `${this.origin}/v1/events`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** Starts a collector process and waits until it answers `/healthz`. */
  async start(timeoutMs = 30_000): Promise<void> {
    if (this.child) throw new Error('collector: already running');
    this.starts += 1;
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/collector/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(this.port),
        HOST: '127.0.0.1',
        COLLECTOR_DB: this.dbFile,
        INGEST_KEYS: INGEST_KEY,
        READ_KEYS: READ_KEY,
        CORS_ORIGINS: this.corsOrigin,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim()) this.output.push(`[start ${this.starts}] ${line}`);
      }
      this.output.splice(0, Math.max(0, this.output.length - 50));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise<void>((done) => {
      child.once('exit', (code, signal) => {
        this.output.push(`[start ${this.starts}] exited (${signal ?? code})`);
        if (this.child === child) this.child = null;
        done();
      });
    });

    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child !== child) {
        throw new Error(`collector exited during start:\n${this.output.join('\n')}`);
      }
      try {
        const response = await fetch(`${this.origin}/healthz`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        await this.kill();
        throw new Error(
          `collector did not answer /healthz within ${timeoutMs} ms:\n${this.output.join('\n')}`,
        );
      }
      await new Promise((done) => setTimeout(done, 100));
    }
  }

  /** SIGKILL, then waits for the process to be gone (its port is free again). */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGKILL');
    await this.exited;
  }

  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** `GET /v1/sessions/:id` with the read key; null on 404 (nothing stored yet). */
  async session(id: string): Promise<SessionView | null> {
    const response = await fetch(`${this.origin}/v1/sessions/${encodeURIComponent(id)}`, {
      headers: { Authorization: `Bearer ${READ_KEY}` },
    });
    if (response.status === 404) return null;
    const text = await response.text();
    if (!response.ok) throw new Error(`GET /v1/sessions/${id}: HTTP ${response.status} ${text}`);
    const body = JSON.parse(text) as { session: Record<string, unknown>; timeline: StoredRecord[] };
    return { text, session: body.session, timeline: body.timeline };
  }

  /** The stored records of a session ([] when none), for polling. */
  async timeline(id: string): Promise<StoredRecord[]> {
    return (await this.session(id))?.timeline ?? [];
  }
}
