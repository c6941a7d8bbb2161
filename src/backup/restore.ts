import { chmodSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import type { Migration } from '../core/index.js';
import type { HearthVault } from '../security/vault/index.js';
import { applyKey, encryptDatabaseFile, keyOpens, migrateToLatest, openStorage, sqliteFileKind, type Storage } from '../storage/index.js';
import { openArchive, type OpenedArchive } from './archive.js';
import { BackupError, type ArchiveEntry, type BackupDialect } from './format.js';
import { claimDataDirForRestore } from './in-use.js';
import { createPgStaging, type PgStaging } from './postgres.js';
import { createStaging, extractEntry, swapIn } from './tree.js';

export interface RestoreOptions {
  readonly vault: HearthVault;
  readonly dataDir: string;
  readonly file: string;
  /** PostgreSQL URL: the backup must be a PostgreSQL one, restored into `pgSchema` (default public). */
  readonly databaseUrl?: string | undefined;
  readonly pgSchema?: string | undefined;
  /** Every migration of this Hearth (PostgreSQL: the staging schema is built from them). */
  readonly migrations?: readonly Migration[];
  /** Replace existing data (the CLI's --force); without it a data directory or schema with data is refused. */
  readonly replace?: boolean;
  readonly sqliteFile?: string;
  /** HEARTH_DATABASE_ENCRYPTION=on: the page key (and the one before a rotation); the restored database is encrypted under it. */
  readonly encryptionKey?: Buffer | undefined;
  readonly previousEncryptionKey?: Buffer | undefined;
}

export interface RestoreResult {
  readonly keyId: string;
  readonly createdAt: number;
  readonly dialect: BackupDialect;
  readonly files: number;
  readonly rows: number;
  /** PostgreSQL tables in the archive that this Hearth does not have (not restored). */
  readonly skippedTables: readonly string[];
}

/**
 * Restores a backup (DATA-6). In order, each step before anything is replaced: the data directory
 * is claimed (refused while any Hearth process uses it), the archive is verified whole (key id,
 * GCM tag over header and data), everything is restored into a staging folder (and, for
 * PostgreSQL, a staging schema) and checked (SQLite integrity check, entry and row counts). Only
 * then does the staging folder replace the data directory's Hearth data (renames, rolled back on
 * failure) and, for PostgreSQL, the staged rows replace the live ones in one transaction.
 */
export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { dataDir } = options;
  const dialect: BackupDialect = options.databaseUrl ? 'postgres' : 'sqlite';
  const dbName = options.sqliteFile ?? 'hearth.db';
  const claim = claimDataDirForRestore(dataDir);
  let archive: OpenedArchive | undefined;
  let staging: string | undefined;
  let pg: PgStaging | undefined;
  let live: Storage | undefined;
  try {
    archive = await openArchive({ vault: options.vault, dataDir, file: options.file });
    const { header } = archive;
    if (header.dialect !== dialect)
      throw new BackupError(
        'BACKUP_UNSUPPORTED',
        `this is a ${header.dialect === 'sqlite' ? 'SQLite' : 'PostgreSQL'} backup; configure the same database kind (HEARTH_DATABASE_URL) to restore it`,
      );
    if (dialect === 'postgres') {
      if (!options.migrations) throw new Error('restoring PostgreSQL needs the migrations');
      live = await openStorage({ dataDir, databaseUrl: options.databaseUrl, pgSchema: options.pgSchema, pgPoolSize: 1 });
      pg = createPgStaging({ databaseUrl: options.databaseUrl!, dataDir, migrations: options.migrations });
    }
    if (!options.replace && (await hasData(dataDir, dbName, live)))
      throw new BackupError('BACKUP_TARGET_NOT_EMPTY', 'the data directory (or database) already holds data; add --force to replace it');

    staging = createStaging(dataDir);
    let end: Extract<ArchiveEntry, { t: 'end' }> | undefined;
    let files = 0;
    let sqlite = false;
    for await (const item of archive.entries()) {
      const { entry } = item;
      if (entry.t === 'end') end = entry;
      else if (entry.t === 'file' || entry.t === 'dir') {
        await extractEntry(staging, item, dbName);
        if (entry.t === 'file') files++;
      } else if (entry.t === 'sqlite' && dialect === 'sqlite' && !sqlite) {
        await item.copyTo(join(staging, dbName));
        sqlite = true;
      } else if (entry.t === 'pg-migrations' && pg) await pg.load(parseNames(await item.read()));
      else if (entry.t === 'pg-rows' && pg) await pg.rows(entry.table, await item.read(), entry.rows);
      else throw new BackupError('BACKUP_MALFORMED', `unexpected ${entry.t} entry in a ${dialect} backup`);
    }
    if (!end || end.files !== files || (dialect === 'sqlite' && !sqlite))
      throw new BackupError('BACKUP_MALFORMED', 'the archive does not hold what it declares');
    if (sqlite) {
      const stagedDb = join(staging, dbName);
      const keys = [options.encryptionKey, options.previousEncryptionKey].filter((k): k is Buffer => k !== undefined);
      checkIntegrity(stagedDb, keys);
      // The restored database matches this configuration (DATA-2): a plain snapshot is encrypted here.
      if (sqliteFileKind(stagedDb) === 'plain' && options.encryptionKey) encryptDatabaseFile(stagedDb, options.encryptionKey);
    }
    const staged = pg ? await pg.finish(end.rows) : { rows: 0, skippedTables: [] };
    // A new machine's empty schema, or one an older Hearth left: this version's tables first.
    if (live) await migrateToLatest(live, options.migrations!);

    const target = join(dataDir, dbName);
    if (dialect === 'sqlite' && existsSync(target)) checkpointAndClose(target, [options.encryptionKey, options.previousEncryptionKey]);
    const swap = swapIn(dataDir, staging, { dbName, swapDatabase: dialect === 'sqlite', swapFiles: header.v >= 2 });
    try {
      if (pg && live) await pg.copyInto(live);
    } catch (err) {
      swap.rollback();
      throw err;
    }
    swap.commit();
    if (dialect === 'sqlite') chmodSync(target, 0o600);
    return { keyId: header.keyId, createdAt: header.createdAt, dialect, files, rows: staged.rows, skippedTables: staged.skippedTables };
  } finally {
    if (staging) rmSync(staging, { recursive: true, force: true });
    await pg?.drop();
    await live?.close();
    await archive?.close();
    claim.release();
  }
}

function parseNames(raw: Buffer): string[] {
  try {
    const names = JSON.parse(raw.toString('utf8')) as unknown;
    if (Array.isArray(names) && names.every((n) => typeof n === 'string')) return names as string[];
  } catch {
    // fall through
  }
  throw new BackupError('BACKUP_MALFORMED', 'the archive list of migrations is damaged');
}

/** Whether a restore would replace something: a non-empty database, notes or other data files. */
async function hasData(dataDir: string, dbName: string, live: Storage | undefined): Promise<boolean> {
  const db = join(dataDir, dbName);
  if (!live && existsSync(db) && statSync(db).size > 0) return true;
  if (existsSync(join(dataDir, 'notes')) && readdirSync(join(dataDir, 'notes')).length > 0) return true;
  if (!live) return false;
  const schema = live.pgSchema ?? 'public';
  const res = await live.pool!.query<{ n: number }>(
    `select count(*)::int as n from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = $1 and c.relname = 'hearth_migrations'`,
    [schema],
  );
  return (res.rows[0]?.n ?? 0) > 0;
}

/** Opens a SQLite file as it is: plain, or encrypted under one of `keys` (undefined when none opens it). */
function openEither(
  path: string,
  keys: readonly (Buffer | undefined)[],
  options: BetterSqlite3.Options,
): BetterSqlite3.Database | undefined {
  if (sqliteFileKind(path) !== 'opaque') return new BetterSqlite3(path, options);
  for (const key of keys) {
    if (!key) continue;
    const db = new BetterSqlite3(path, options);
    applyKey(db, key);
    if (keyOpens(db)) return db;
    db.close();
  }
  return undefined;
}

function checkIntegrity(path: string, keys: readonly Buffer[]): void {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = openEither(path, keys, { readonly: true, fileMustExist: true });
    if (!db)
      throw new BackupError(
        'BACKUP_UNSUPPORTED',
        keys.length === 0
          ? 'the backup holds an encrypted database: set HEARTH_DATABASE_ENCRYPTION=on (with the master key it was made under) to restore it; nothing was changed'
          : 'the backup holds a database encrypted under another master key; nothing was changed',
      );
    const result = db.pragma('integrity_check', { simple: true });
    const migrated = db.prepare("select count(*) as n from sqlite_master where type = 'table' and name = 'hearth_migrations'").get() as {
      n: number;
    };
    if (result !== 'ok' || migrated.n !== 1)
      throw new BackupError('BACKUP_CORRUPT', 'backup database failed its integrity check; nothing was changed');
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError('BACKUP_CORRUPT', 'backup database could not be opened; nothing was changed');
  } finally {
    db?.close();
  }
  for (const suffix of ['-wal', '-shm']) rmSync(path + suffix, { force: true });
}

/**
 * Folds the old database's WAL into it before it moves aside, and doubles as a check that no
 * process outside Hearth's registration holds it (an older Hearth, a sqlite3 shell).
 */
function checkpointAndClose(path: string, keys: readonly (Buffer | undefined)[]): void {
  const db = openEither(path, keys, { fileMustExist: true, timeout: 1_000 });
  // An encrypted database this configuration cannot open is replaced as it is (it holds no WAL we could fold).
  if (!db) return;
  try {
    const rows = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (rows[0]?.busy) throw new BackupError('BACKUP_TARGET_IN_USE', 'the database is in use; stop Hearth before restoring');
  } finally {
    db.close();
  }
}
