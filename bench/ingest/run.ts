/**
 * Ingest benchmark (not a test): `node --import tsx bench/ingest/run.ts`.
 *
 * Starts the real collector CLI (server/collector/main.ts) as a child process on 127.0.0.1, once
 * on SQLite (temp file) and once on PostgreSQL (REKEY_BENCH_PG_URL, else REKEY_TEST_PG_URL, else
 * the local default; a fresh schema per run), and posts batches of valid records with unique ids
 * with autocannon: a warm-up, then a measured run of fixed duration. Reports records/s and
 * latency percentiles, checks that every acknowledged record is in the database, and writes
 * the `## Collector ingest` section of BENCHMARKS.md.
 *
 * Env: BENCH_DURATION_S (10), BENCH_WARMUP_S (3), BENCH_CONNECTIONS (8), BENCH_BATCH (50),
 * BENCH_STORES (sqlite,postgres), BENCH_WORKERS (0,1: the collector's INGEST_WORKERS values).
 *
 * This machine is shared (other jobs may run), so beside throughput it reports what does not
 * depend on getting the CPU: the collector's own CPU time per record (from /proc) and the
 * load average during the run.
 */
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { writeBenchmarksSection } from '../benchmarks-file.mjs';
import { startCollectorProcess, type CollectorProcess } from '../../server/collector/process.js';
import { batchTemplate, makeBody } from './batch.js';

const DURATION = Number(process.env.BENCH_DURATION_S ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP_S ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const BATCH = Number(process.env.BENCH_BATCH ?? 50);
const STORES = (process.env.BENCH_STORES ?? 'sqlite,postgres').split(',');
const WORKERS = (process.env.BENCH_WORKERS ?? '0,1').split(',').map(Number);
const PG_URL =
  process.env.REKEY_BENCH_PG_URL ??
  process.env.REKEY_TEST_PG_URL ??
  'postgres://rekey:rekey@127.0.0.1:5432/rekey_test';
const INGEST_KEY = 'bench-ingest-key-000000000001';

interface Result {
  store: string;
  workers: number;
  /** Collector process CPU (all threads) per record, µs. */
  cpuPerRecordUs: number;
  /** Load generator CPU per request, µs. */
  loadgenCpuPerRequestUs: number;
  load1: number;
  sent: number;
  requests: number;
  non2xx: number;
  errors: number;
  seconds: number;
  recordsPerSecond: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  stored: number;
  acknowledged: number;
}

/** utime + stime of a process in seconds (Linux /proc; 100 ticks per second). */
function processCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function startCollector(env: Record<string, string>): Promise<CollectorProcess> {
  return startCollectorProcess(
    {
      ...env,
      INGEST_KEYS: INGEST_KEY,
      READ_KEYS: 'bench-read-key-0000000000001',
      RATE_LIMIT_PER_MIN: '0',
      LOG_LEVEL: 'warn',
    },
    { stdio: ['ignore', 'inherit', 'inherit'], startMs: 10_000 },
  );
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function load(
  url: string,
  seconds: number,
  runId: string,
): Promise<{
  latencies: number[];
  ok: number;
  sent: number;
  non2xx: number;
  errors: number;
  seconds: number;
}> {
  const parts = batchTemplate(BATCH);
  let n = 0;
  const latencies: number[] = [];
  let ok = 0;
  const instance = autocannon({
    url,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { authorization: `Bearer ${INGEST_KEY}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: makeBody(parts, runId, n++) }),
      },
    ],
  });
  instance.on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.push(responseTime);
      if (statusCode >= 200 && statusCode < 300) ok++;
    },
  );
  const result = await instance;
  return {
    latencies: latencies.sort((a, b) => a - b),
    ok,
    sent: n,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    seconds: result.duration,
  };
}

async function bench(store: string, workers: number): Promise<Result> {
  const dir = mkdtempSync(join(tmpdir(), 'rekey-bench-'));
  const schema = `bench_${Date.now().toString(36)}`;
  const env: Record<string, string> =
    store === 'sqlite'
      ? { COLLECTOR_DB: join(dir, 'collector.db') }
      : { DATABASE_URL: PG_URL, DATABASE_SCHEMA: schema };
  env.INGEST_WORKERS = String(workers);
  const { child, url } = await startCollector(env);
  try {
    const tag = `${store.slice(0, 2)}${workers}`;
    console.error(`[${store}, ${workers} ingest workers] warm-up ${WARMUP}s`);
    const warm = await load(url, WARMUP, `w${tag}`);
    console.error(
      `[${store}, ${workers} ingest workers] measuring ${DURATION}s with ${CONNECTIONS} connections, ${BATCH} records per request`,
    );
    const cpuBefore = processCpuSeconds(child.pid!);
    const ownBefore = process.cpuUsage();
    const load1 = loadavg()[0]!;
    const run = await load(url, DURATION, `m${tag}`);
    const ownCpu = process.cpuUsage(ownBefore);
    const collectorCpu = processCpuSeconds(child.pid!) - cpuBefore;
    const load1After = loadavg()[0]!;
    const acknowledged = (warm.ok + run.ok) * BATCH;
    const sent = (warm.sent + run.sent) * BATCH;
    let stored: number;
    if (store === 'sqlite') {
      const db = new Database(env.COLLECTOR_DB!, { readonly: true });
      stored = (db.prepare('SELECT count(*) AS n FROM records').get() as { n: number }).n;
      db.close();
    } else {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      stored = Number(
        (await client.query(`SELECT count(*) AS n FROM ${schema}.records`)).rows[0].n,
      );
      await client.query(`DROP SCHEMA ${schema} CASCADE`);
      await client.end();
    }
    return {
      store,
      workers,
      cpuPerRecordUs: (collectorCpu * 1e6) / Math.max(1, run.ok * BATCH),
      loadgenCpuPerRequestUs: (ownCpu.user + ownCpu.system) / Math.max(1, run.latencies.length),
      load1: Math.max(load1, load1After),
      sent,
      requests: run.latencies.length,
      non2xx: run.non2xx,
      errors: run.errors,
      seconds: run.seconds,
      recordsPerSecond: Math.round((run.ok * BATCH) / run.seconds),
      p50: percentile(run.latencies, 50),
      p95: percentile(run.latencies, 95),
      p99: percentile(run.latencies, 99),
      max: run.latencies[run.latencies.length - 1] ?? NaN,
      stored,
      acknowledged,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const results: Result[] = [];
for (const store of STORES)
  for (const workers of WORKERS) results.push(await bench(store, workers));

const bodyBytes = makeBody(batchTemplate(BATCH), 'x', 0).length;
const ms = (v: number) => `${v.toFixed(1)} ms`;
const table = [
  '| store | ingest workers | records/s | requests/s | p50 | p95 | p99 | max | non-2xx / errors | collector CPU per record | load average (1 min) | acknowledged <= stored <= sent |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|',
  ...results.map(
    (r) =>
      `| ${r.store} | ${r.workers} | ${r.recordsPerSecond.toLocaleString('en-US')} | ${Math.round(r.requests / r.seconds).toLocaleString('en-US')} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.non2xx} / ${r.errors} | ${r.cpuPerRecordUs.toFixed(1)} µs | ${r.load1.toFixed(1)} | ${r.acknowledged <= r.stored && r.stored <= r.sent ? 'yes' : 'NO'} (${r.acknowledged.toLocaleString('en-US')} <= ${r.stored.toLocaleString('en-US')} <= ${r.sent.toLocaleString('en-US')}) |`,
  ),
];
const section = `Command: \`node --import tsx bench/ingest/run.ts\` (PostgreSQL must be running:
\`sudo bash scripts/start-postgres.sh\`; override its URL with \`REKEY_BENCH_PG_URL\`).

The real collector CLI (\`server/collector/main.ts\`, one Node process, request logging at
\`warn\`, no rate limit) listens on 127.0.0.1; autocannon with ${CONNECTIONS} connections in
this process posts \`POST /v1/events\` batches of ${BATCH} valid records (${bodyBytes.toLocaleString('en-US')}
bytes of JSON: 5 calls x start, handshake, 5 snapshots, re-key, violation, end), every id unique.
Warm-up ${WARMUP} s, then ${DURATION} s measured. records/s counts only records in 2xx
responses; latency is per request (whole batch), from autocannon's per-response times. The last
column checks that every acknowledged record (warm-up included) is in the database.

Machine: ${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC.
"Collector CPU per record" is the collector process's CPU time (all its threads, from /proc)
divided by the records acknowledged: it does not depend on how busy the machine was, unlike
records/s. The load average column says how busy it was (2.0 = both cores in use).

${table.join('\n')}
`;
console.log(`\n${section}`);
// Only this section of BENCHMARKS.md is rewritten; notes below its marker are kept.
await writeBenchmarksSection('Collector ingest', section);
