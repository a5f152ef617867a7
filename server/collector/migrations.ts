/**
 * Loads the ordered list of migrations from ./migrations. A file `NNN_name.sql` is portable SQL
 * for both databases; `NNN_name.sqlite.sql` / `NNN_name.pg.sql` override it for one dialect when
 * the two ever have to differ. Each store applies them under its own lock.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface Migration {
  /** e.g. `001_init`; recorded in the schema_migrations table. */
  version: string;
  sql: string;
}

const dir = new URL('./migrations/', import.meta.url);

export const MIGRATIONS_TABLE_SQL =
  'CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)';

export function loadMigrations(dialect: 'sqlite' | 'pg'): Migration[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const versions = new Map<string, string>();
  for (const file of files) {
    const m = /^(\d{3}_[a-z0-9_]+?)(?:\.(sqlite|pg))?\.sql$/.exec(file);
    if (!m) throw new Error(`unexpected migration file name: ${file}`);
    const [, version, only] = m;
    if (only && only !== dialect) continue;
    // A dialect-specific file wins over the portable one of the same version.
    if (!only && versions.has(version!)) continue;
    versions.set(version!, file);
  }
  return [...versions.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([version, file]) => ({ version, sql: readFileSync(new URL(file, dir), 'utf8') }));
}
