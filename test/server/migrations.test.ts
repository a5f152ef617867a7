/** Migrations apply once, also when several collectors start at the same moment. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../server/collector/migrations.js';
import { backends } from './harness.js';

describe.each(backends())('migrations on $name', (backend) => {
  beforeAll(() => backend.setup());
  afterAll(() => backend.teardown());

  it('are idempotent and safe to run concurrently', async () => {
    const stores = [backend.store(), backend.store(), backend.store()];
    await Promise.all(stores.map((s) => s.migrate()));
    await stores[0]!.migrate();
    // The stores work on the migrated schema.
    expect((await stores[1]!.listSessions({ limit: 5, order: 'recent' })).sessions).toEqual([]);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('are numbered and portable by default', () => {
    const versions = loadMigrations(backend.name === 'sqlite' ? 'sqlite' : 'pg').map(
      (m) => m.version,
    );
    expect(versions[0]).toBe('001_init');
    expect([...versions].sort()).toEqual(versions);
  });
});
