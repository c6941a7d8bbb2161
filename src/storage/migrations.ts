import {
  Migrator,
  sql,
  type DatabaseIntrospector,
  type Kysely,
  type Migration as KyselyMigration,
  type MigrationResultSet,
  type TableMetadata,
} from 'kysely';
import type { Dialect, Migration } from '../core/index.js';
import type { Storage } from './database.js';

export type { Migration } from '../core/index.js';

/** Column types that differ between SQLite and PostgreSQL. */
export function columnTypes(dialect: Dialect) {
  return dialect === 'sqlite'
    ? ({ bigint: 'integer', blob: 'blob', json: 'text', bool: 'integer', serial: 'integer' } as const)
    : ({ bigint: 'bigint', blob: 'bytea', json: 'text', bool: 'integer', serial: 'bigserial' } as const);
}

function migrator(storage: Storage, migrations: readonly Migration[]): Migrator {
  const names = migrations.map((m) => m.name);
  if (new Set(names).size !== names.length) throw new Error('duplicate migration names');
  const record: Record<string, KyselyMigration> = {};
  for (const m of migrations) {
    record[m.name] = {
      up: (db) => m.up(db, storage.dialect),
      ...(m.down ? { down: (db: Kysely<unknown>) => m.down!(db, storage.dialect) } : {}),
    };
  }
  return new Migrator({
    db: storage.dialect === 'postgres' ? withSchemaIntrospection(storage.db, storage.pgSchema) : storage.db,
    provider: { getMigrations: async () => record },
    migrationTableName: 'hearth_migrations',
    migrationLockTableName: 'hearth_migrations_lock',
    // Name the schema: kysely's introspection otherwise sees migration tables of other schemas.
    ...(storage.pgSchema ? { migrationTableSchema: storage.pgSchema } : {}),
  });
}

/**
 * Kysely's PostgreSQL introspector lists the tables of every schema in the database, calling
 * pg_get_serial_sequence on each; a schema dropped meanwhile (a restore's scratch schema, another
 * test's) fails the whole migration with "schema … does not exist". The migrator only asks whether
 * its own two tables exist, so it gets an introspector that looks in its own schema alone.
 */
function withSchemaIntrospection<DB>(db: Kysely<DB>, schema: string | undefined): Kysely<DB> {
  const own = schema ?? 'public';
  const base = db.introspection;
  const introspector: DatabaseIntrospector = {
    getSchemas: () => base.getSchemas(),
    async getTables(): Promise<TableMetadata[]> {
      const rows = await sql<{ name: string; view: boolean }>`
        select table_name as name, table_type = 'VIEW' as view
        from information_schema.tables where table_schema = ${own}`.execute(db);
      return rows.rows.map((r) => ({ name: r.name, schema: own, isView: r.view, columns: [] }));
    },
    async getMetadata() {
      return { tables: await this.getTables() };
    },
  };
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspector;
      const value: unknown = Reflect.get(target, prop);
      // Kysely keeps its state in private fields: its methods must run on the real instance.
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

class MigrationError extends Error {
  readonly code = 'MIGRATION_FAILED';
}

/** Applies every pending migration in one ordered pass; throws naming the migration that failed. */
export async function migrateToLatest(storage: Storage, migrations: readonly Migration[]): Promise<MigrationResultSet> {
  const result = await migrator(storage, migrations).migrateToLatest();
  const failed = result.results?.find((r) => r.status === 'Error');
  if (result.error || failed) {
    const cause = result.error instanceof Error ? result.error : undefined;
    throw new MigrationError(`migration ${failed?.migrationName ?? '(unknown)'} failed`, { cause });
  }
  return result;
}

export interface MigrationState {
  readonly name: string;
  readonly appliedAt: Date | undefined;
}

export async function migrationStatus(storage: Storage, migrations: readonly Migration[]): Promise<MigrationState[]> {
  const info = await migrator(storage, migrations).getMigrations();
  return info.map((m) => ({ name: m.name, appliedAt: m.executedAt }));
}

/** Rolls back the newest migration (owner-only operation, exposed by `hearth migrate down`). */
export async function migrateDown(storage: Storage, migrations: readonly Migration[]): Promise<string | undefined> {
  const result = await migrator(storage, migrations).migrateDown();
  if (result.error) throw new MigrationError('rollback failed', { cause: result.error });
  return result.results?.[0]?.migrationName;
}
