import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsOf } from '../../src/app/index.js';
import { migrateToLatest, migrationStatus, openStorage, type Storage } from '../../src/storage/index.js';
import { dropSchema, PG_URL, tempDir, uniqueSchema } from '../support/databases.js';

const migrations = migrationsOf();

/**
 * Replicas and tests share one PostgreSQL; schemas created and dropped while another migrates (a
 * restore's scratch schema, a finished test's) must not fail that migration. Kysely's own
 * introspector walked every schema's tables and failed with "schema … does not exist" when one
 * vanished mid-query; the race is real but narrow, so the churn runs for the whole migration.
 */
describe('migrations on postgres while other schemas come and go', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('schema churn elsewhere does not fail the migration', async () => {
    let churning = true;
    const churners = Array.from({ length: 3 }, async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        while (churning) {
          const victim = uniqueSchema();
          await client.query(`CREATE SCHEMA ${victim}`);
          await client.query(`CREATE TABLE ${victim}.a (id bigserial primary key); CREATE TABLE ${victim}.b (id bigserial primary key)`);
          await client.query(`DROP SCHEMA ${victim} CASCADE`);
        }
      } finally {
        await client.end();
      }
    });

    const failures: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const own = uniqueSchema();
      cleanups.push(() => dropSchema(own));
      const storage: Storage = await openStorage({ dataDir: tempDir(), databaseUrl: PG_URL, pgSchema: own });
      try {
        await migrateToLatest(storage, migrations);
        const status = await migrationStatus(storage, migrations);
        expect(status.every((m) => m.appliedAt !== undefined)).toBe(true);
      } catch (err) {
        failures.push(err);
      } finally {
        await storage.close();
      }
    }
    churning = false;
    await Promise.all(churners);
    expect(failures.map((e) => (e as Error).message)).toEqual([]);
  });
});
