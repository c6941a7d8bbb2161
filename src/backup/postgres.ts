import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Migration } from '../core/index.js';
import { migrateToLatest, openStorage, type Storage } from '../storage/index.js';
import type { ArchiveSink } from './archive.js';
import { BackupError } from './format.js';

/**
 * PostgreSQL backup without external tools (DATA-6). The export is one REPEATABLE READ, READ ONLY
 * transaction: every table of Hearth's schema is read through a cursor from the same snapshot, so
 * the archive is as consistent as pg_dump's, with no pg_dump of a matching major version to install,
 * no database URL on a command line, and the same encryption as SQLite's. Rows travel as
 * `row_to_json` text and come back through `json_populate_recordset`, PostgreSQL's own text forms
 * for every type (bigint, bytea, tsvector), never through JavaScript numbers.
 */
const ROWS_PER_ENTRY = 500;
const MIGRATION_TABLES = new Set(['hearth_migrations', 'hearth_migrations_lock']);

type Client = pg.PoolClient;
const q = (client: Client, name: string) => client.escapeIdentifier(name);

async function tablesOf(client: Client, schema: string): Promise<string[]> {
  const res = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
     where n.nspname = $1 and c.relkind in ('r', 'p') order by c.relname`,
    [schema],
  );
  return res.rows.map((r) => r.name);
}

/** Adds the applied migrations and every row of every table of the schema, from one snapshot. */
export async function exportPostgres(sink: ArchiveSink, storage: Storage): Promise<{ rows: number; tables: number }> {
  const schema = storage.pgSchema ?? 'public';
  const client = await storage.pool!.connect();
  let rows = 0;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const tables = (await tablesOf(client, schema)).filter((t) => !MIGRATION_TABLES.has(t));
    const applied = await client.query<{ name: string }>(`select name from ${q(client, schema)}.hearth_migrations order by name`);
    const names = Buffer.from(JSON.stringify(applied.rows.map((r) => r.name)), 'utf8');
    await sink.add({ t: 'pg-migrations', size: names.length }, names);
    for (const table of tables) {
      await client.query(
        `DECLARE hearth_backup NO SCROLL CURSOR FOR SELECT row_to_json(t)::text AS j FROM ${q(client, schema)}.${q(client, table)} t`,
      );
      for (;;) {
        const batch = await client.query<{ j: string }>(`FETCH ${ROWS_PER_ENTRY} FROM hearth_backup`);
        if (batch.rows.length === 0) break;
        const data = Buffer.from(`[${batch.rows.map((r) => r.j).join(',')}]`, 'utf8');
        await sink.add({ t: 'pg-rows', table, rows: batch.rows.length, size: data.length }, data);
        rows += batch.rows.length;
      }
      await client.query('CLOSE hearth_backup');
    }
    await client.query('COMMIT');
    return { rows, tables: tables.length };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

interface Column {
  readonly name: string;
  readonly serial: boolean;
}

async function columnsOf(client: Client, schema: string, table: string): Promise<Column[]> {
  const res = await client.query<{ name: string; serial: boolean }>(
    `select column_name as name, coalesce(column_default like 'nextval(%', false) as serial from information_schema.columns
     where table_schema = $1 and table_name = $2 and is_generated = 'NEVER' order by ordinal_position`,
    [schema, table],
  );
  return res.rows;
}

/**
 * A restore's staging schema: created empty, migrated to exactly the migrations the backup had,
 * loaded, then migrated forward to this version of Hearth. Only then is it copied into the live
 * schema, in one transaction. Dropped in every case.
 */
export interface PgStaging {
  load(migrationNames: readonly string[]): Promise<void>;
  rows(table: string, json: Buffer, count: number): Promise<void>;
  /** Migrates forward and checks the row counts against the archive's. */
  finish(expectedRows: number): Promise<{ rows: number; skippedTables: string[] }>;
  /** Replaces the live schema's rows with the staged ones, in one transaction. */
  copyInto(live: Storage): Promise<void>;
  drop(): Promise<void>;
}

export function createPgStaging(options: { databaseUrl: string; dataDir: string; migrations: readonly Migration[] }): PgStaging {
  const schema = `hearth_restore_${randomBytes(6).toString('hex')}`;
  let storage: Storage | undefined;
  let client: Client | undefined;
  const loaded = new Map<string, number>();
  const columns = new Map<string, Column[]>();
  const skippedTables = new Set<string>();
  let skippedRows = 0;

  const connection = async () => {
    if (!storage || !client) throw new BackupError('BACKUP_MALFORMED', 'the archive has table rows before its migrations');
    return client;
  };

  return {
    async load(names) {
      if (storage) throw new BackupError('BACKUP_MALFORMED', 'the archive lists its migrations twice');
      const known = new Set(options.migrations.map((m) => m.name));
      const unknown = names.find((n) => !known.has(n));
      if (unknown)
        throw new BackupError('BACKUP_INCOMPATIBLE', `the backup was made by a newer Hearth (migration ${unknown}); upgrade first`);
      const wanted = new Set(names);
      storage = await openStorage({ dataDir: options.dataDir, databaseUrl: options.databaseUrl, pgSchema: schema, pgPoolSize: 1 });
      await migrateToLatest(
        storage,
        options.migrations.filter((m) => wanted.has(m.name)),
      );
      client = await storage.pool!.connect();
      for (const table of await tablesOf(client, schema)) {
        if (MIGRATION_TABLES.has(table)) continue;
        columns.set(table, await columnsOf(client, schema, table));
        // Rows a migration seeds (the audit head) are in the archive too: the archive alone fills the tables.
        await client.query(`TRUNCATE ${q(client, schema)}.${q(client, table)}`);
        // Triggers would rewrite restored rows (a message touching its conversation); the rows are already final.
        await client.query(`ALTER TABLE ${q(client, schema)}.${q(client, table)} DISABLE TRIGGER USER`);
      }
    },
    async rows(table, json, count) {
      const c = await connection();
      const cols = columns.get(table);
      if (!cols) {
        skippedTables.add(table); // not one of Hearth's tables at the backup's version
        skippedRows += count;
        return;
      }
      const list = cols.map((col) => q(c, col.name)).join(', ');
      const target = `${q(c, schema)}.${q(c, table)}`;
      const res = await c.query(`INSERT INTO ${target} (${list}) SELECT ${list} FROM json_populate_recordset(null::${target}, $1::json)`, [
        json.toString('utf8'),
      ]);
      if (res.rowCount !== count) throw new BackupError('BACKUP_CORRUPT', `table ${table}: ${res.rowCount} of ${count} rows restored`);
      loaded.set(table, (loaded.get(table) ?? 0) + count);
    },
    async finish(expectedRows) {
      const c = await connection();
      for (const table of columns.keys()) await c.query(`ALTER TABLE ${q(c, schema)}.${q(c, table)} ENABLE TRIGGER USER`);
      let rows = 0;
      for (const [table, n] of loaded) {
        const res = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${q(c, schema)}.${q(c, table)}`);
        if (res.rows[0]?.n !== n) throw new BackupError('BACKUP_CORRUPT', `table ${table} does not hold the archive's rows`);
        rows += n;
      }
      const skipped = [...skippedTables];
      if (expectedRows !== rows + skippedRows) throw new BackupError('BACKUP_CORRUPT', 'the archive holds fewer rows than it declares');
      client!.release();
      client = undefined;
      // The backup may be older than this Hearth: bring the staged copy to this version's tables.
      await migrateToLatest(storage!, options.migrations);
      client = await storage!.pool!.connect();
      columns.clear();
      for (const table of await tablesOf(client, schema))
        if (!MIGRATION_TABLES.has(table)) columns.set(table, await columnsOf(client, schema, table));
      return { rows, skippedTables: skipped };
    },
    async copyInto(live) {
      const c = await connection();
      const liveSchema = live.pgSchema ?? 'public';
      const liveTables = new Set(await tablesOf(c, liveSchema));
      const tables = [...columns.keys()].filter((t) => liveTables.has(t));
      const ref = (s: string, t: string) => `${q(c, s)}.${q(c, t)}`;
      await c.query('BEGIN');
      try {
        if (tables.length > 0) await c.query(`TRUNCATE ${tables.map((t) => ref(liveSchema, t)).join(', ')}`);
        for (const table of tables) {
          const staged = new Set(columns.get(table)!.map((col) => col.name));
          const cols = (await columnsOf(c, liveSchema, table)).filter((col) => staged.has(col.name));
          const list = cols.map((col) => q(c, col.name)).join(', ');
          await c.query(`ALTER TABLE ${ref(liveSchema, table)} DISABLE TRIGGER USER`);
          await c.query(`INSERT INTO ${ref(liveSchema, table)} (${list}) SELECT ${list} FROM ${ref(schema, table)}`);
          await c.query(`ALTER TABLE ${ref(liveSchema, table)} ENABLE TRIGGER USER`);
          // Serial columns continue after the restored rows.
          for (const col of cols.filter((x) => x.serial))
            await c.query(
              `SELECT setval(pg_get_serial_sequence($1, $2), coalesce((SELECT max(${q(c, col.name)}) FROM ${ref(liveSchema, table)}), 0) + 1, false)`,
              [ref(liveSchema, table), col.name],
            );
        }
        await c.query('COMMIT');
      } catch (err) {
        await c.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
    async drop() {
      client?.release();
      client = undefined;
      if (!storage) return;
      const pool = storage.pool!;
      await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await storage.close();
    },
  };
}
