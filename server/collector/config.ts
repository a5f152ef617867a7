/**
 * Collector configuration from environment variables, checked up front so that a typo fails at
 * start, not on the first request. Values here may be secret (keys, DATABASE_URL): they are
 * never logged; `describeStorage` gives a loggable description.
 */
import type { CollectorOptions } from './app.js';
import { PostgresStore } from './postgres-store.js';
import { SqliteStore } from './sqlite-store.js';
import type { Store } from './store.js';

export interface CollectorConfig {
  port: number;
  host: string;
  sqliteFile: string;
  databaseUrl: string | null;
  /** PostgreSQL schema to use (created if missing); default: the connection's search_path. */
  databaseSchema: string | null;
  ingestKeys: string[];
  readKeys: string[];
  corsOrigins: string[];
  bodyLimitBytes: number;
  rateLimitPerMin: number;
  /** Worker threads parsing and validating batches; 0 = in the request thread. */
  ingestWorkers: number;
  logLevel: string;
}

const list = (v: string | undefined): string[] =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

function int(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be an integer from ${min} to ${max}`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): CollectorConfig {
  const config: CollectorConfig = {
    port: int(env, 'PORT', 8787, 0, 65535),
    host: env.HOST || '127.0.0.1',
    sqliteFile: env.COLLECTOR_DB || './data/collector.db',
    databaseUrl: env.DATABASE_URL || null,
    databaseSchema: env.DATABASE_SCHEMA || null,
    ingestKeys: list(env.INGEST_KEYS),
    readKeys: list(env.READ_KEYS),
    corsOrigins: list(env.CORS_ORIGINS),
    bodyLimitBytes: int(env, 'BODY_LIMIT_BYTES', 1024 * 1024, 1024, 64 * 1024 * 1024),
    rateLimitPerMin: int(env, 'RATE_LIMIT_PER_MIN', 6000, 0, 100_000_000),
    ingestWorkers: int(env, 'INGEST_WORKERS', 0, 0, 64),
    logLevel: env.LOG_LEVEL || 'info',
  };
  if (config.ingestKeys.length === 0)
    throw new Error('INGEST_KEYS is required (comma-separated bearer tokens)');
  if (config.readKeys.length === 0)
    throw new Error('READ_KEYS is required (comma-separated bearer tokens)');
  if (config.databaseSchema && !/^[a-z_][a-z0-9_]{0,62}$/.test(config.databaseSchema)) {
    throw new Error('DATABASE_SCHEMA must be a lowercase SQL identifier');
  }
  for (const origin of config.corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin))
      throw new Error(`CORS_ORIGINS entry is not an origin (scheme://host[:port]): ${origin}`);
  }
  return config;
}

export function createStore(
  config: Pick<CollectorConfig, 'databaseUrl' | 'databaseSchema' | 'sqliteFile'>,
): Store {
  return config.databaseUrl
    ? new PostgresStore({
        connectionString: config.databaseUrl,
        ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
      })
    : new SqliteStore(config.sqliteFile);
}

/** For logs: the storage kind and SQLite path, never the PostgreSQL URL (it holds a password). */
export function describeStorage(
  config: Pick<CollectorConfig, 'databaseUrl' | 'sqliteFile'>,
): string {
  return config.databaseUrl ? 'postgresql (DATABASE_URL)' : `sqlite ${config.sqliteFile}`;
}

export function collectorOptions(config: CollectorConfig, store: Store): CollectorOptions {
  return {
    store,
    ingestKeys: config.ingestKeys,
    readKeys: config.readKeys,
    corsOrigins: config.corsOrigins,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMin: config.rateLimitPerMin,
    ingestWorkers: config.ingestWorkers,
    logger: { level: config.logLevel },
  };
}
