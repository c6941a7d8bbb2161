import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrationsOf } from '../../src/app/index.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/index.js';

const migrations = migrationsOf();

/** The real PostgreSQL on this machine (trust auth); override with HEARTH_TEST_DATABASE_URL. */
export const PG_URL = process.env.HEARTH_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type DatabaseKind = 'sqlite' | 'postgres';
export const DATABASE_KINDS: readonly DatabaseKind[] = ['sqlite', 'postgres'];

export interface TestStorage {
  readonly kind: DatabaseKind;
  readonly storage: Storage;
  readonly dataDir: string;
  /** The PostgreSQL schema of this test, when PostgreSQL. */
  readonly pgSchema: string | undefined;
  /** HEARTH_DATABASE_URL for a config pointing at the same database. */
  readonly databaseUrl: string | undefined;
  cleanup(): Promise<void>;
}

export function tempDir(prefix = 'hearth-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function uniqueSchema(): string {
  return `t_${randomBytes(6).toString('hex')}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    // pg-boss's schema beside it (src/jobs: `<schema>_jobs`), made when a test Hearth's server starts.
    await client.query(`DROP SCHEMA IF EXISTS ${schema}_jobs CASCADE`);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, migrated database of the given kind: a SQLite file in a temp data directory, or a
 * private schema in the real PostgreSQL. Every repository test runs against both.
 */
export async function openTestStorage(kind: DatabaseKind, options: { migrate?: boolean } = {}): Promise<TestStorage> {
  const dataDir = tempDir();
  const pgSchema = kind === 'postgres' ? uniqueSchema() : undefined;
  const databaseUrl = kind === 'postgres' ? PG_URL : undefined;
  const storage = await openStorage({ dataDir, databaseUrl, pgSchema });
  if (options.migrate !== false) await migrateToLatest(storage, migrations);
  return {
    kind,
    storage,
    dataDir,
    pgSchema,
    databaseUrl,
    async cleanup() {
      await storage.close();
      if (pgSchema) await dropSchema(pgSchema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
