import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import * as sqliteVec from 'sqlite-vec';
import { startCheckpointer, type Checkpointer } from './checkpointer.js';
import { applyKey, keyOpens, rekey, sqliteFileKind, StorageError } from './encryption.js';
import { createFifoLock, FifoSqliteDialect, runDirectlyWhenFree } from './sqlite-driver.js';
import { cachedStatements } from './statement-cache.js';

import type { Dialect } from '../core/index.js';

/** Tables owned by the storage layer itself; every other concern adds its own with `db.withTables<T>()`. */
export interface CoreTables {
  settings: { key: string; value: string; updated_at: number };
}

export interface Storage {
  readonly db: Kysely<CoreTables>;
  readonly dialect: Dialect;
  /** Raw handles for what kysely does not cover (FTS, online backup, COPY). */
  readonly sqlite: BetterSqlite3.Database | undefined;
  readonly pool: pg.Pool | undefined;
  /** Path of the SQLite file, when SQLite. */
  readonly file: string | undefined;
  /** PostgreSQL schema holding Hearth's tables (`public` unless configured). */
  readonly pgSchema: string | undefined;
  /** SQLite: the worker thread that checkpoints the WAL (see checkpointer.ts), when running. */
  readonly checkpointer: Checkpointer | undefined;
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly dataDir: string;
  /** postgres:// URL; unset means SQLite at `<dataDir>/hearth.db`. */
  readonly databaseUrl?: string | undefined;
  /** PostgreSQL schema to use (created if missing); tests use one per suite. */
  readonly pgSchema?: string | undefined;
  /** SQLite file name inside the data directory. */
  readonly sqliteFile?: string | undefined;
  readonly pgPoolSize?: number | undefined;
  /** SQLite: checkpoint the WAL on a worker thread instead of inside commits (default true). */
  readonly backgroundCheckpoints?: boolean | undefined;
  /** How often the checkpoint worker looks for new commits (default 200 ms). */
  readonly checkpointIntervalMs?: number | undefined;
  /** SQLite: the page key of the encrypted database (`databaseKey(masterKey)`); unset = a plain database. */
  readonly encryptionKey?: Buffer | undefined;
  /** SQLite: the key before a master-key rotation; a database still under it is re-keyed to `encryptionKey`. */
  readonly previousEncryptionKey?: Buffer | undefined;
}

/** WAL pages at which SQLite checkpoints inside a commit (its default). */
const INLINE_CHECKPOINT_PAGES = 1000;
/** With the worker: only a safety net, reached when the worker falls far behind. */
const FALLBACK_CHECKPOINT_PAGES = 20_000;

/** Creates the data directory 0700, tightening it when it is too open (DATA-3). Returns whether it was tightened. */
export function ensureDataDir(dir: string): { tightened: boolean } {
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    return { tightened: false };
  }
  const mode = statSync(dir).mode & 0o777;
  if (mode & 0o077) {
    chmodSync(dir, 0o700);
    return { tightened: true };
  }
  return { tightened: false };
}

/** Opens the database chosen by configuration: SQLite by default, PostgreSQL by URL. */
export async function openStorage(options: OpenOptions): Promise<Storage> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options);
  return openSqlite(options);
}

/**
 * Opens the file as configured (DATA-2): keyed when encryption is on, refusing a plain file then
 * (it must be converted first: `hearth db encrypt`) and an encrypted one when it is off.
 */
function openSqliteFile(file: string, options: OpenOptions): BetterSqlite3.Database {
  const kind = sqliteFileKind(file);
  const key = options.encryptionKey;
  if (!key) {
    if (kind === 'opaque')
      throw new StorageError(
        'DATABASE_ENCRYPTED',
        `${file} is encrypted (or is not a SQLite database): set HEARTH_DATABASE_ENCRYPTION=on with the master key it was encrypted under`,
      );
    return new BetterSqlite3(file);
  }
  if (kind === 'plain')
    throw new StorageError(
      'DATABASE_NOT_ENCRYPTED',
      `${file} is not encrypted: stop Hearth and run \`hearth db encrypt\` to convert it, or unset HEARTH_DATABASE_ENCRYPTION`,
    );
  const keyed = (k: Buffer) => {
    const db = new BetterSqlite3(file);
    applyKey(db, k);
    // Sorts and temporary indexes never spill plaintext into temporary files.
    db.pragma('temp_store = MEMORY');
    if (keyOpens(db)) return db;
    db.close();
    return undefined;
  };
  const current = keyed(key);
  if (current) return current;
  const previous = options.previousEncryptionKey ? keyed(options.previousEncryptionKey) : undefined;
  if (previous) {
    // A master-key rotation: the database moves to the new key at once (one transaction).
    rekey(previous, key);
    return previous;
  }
  throw new StorageError(
    'DATABASE_KEY_WRONG',
    `${file} cannot be decrypted with this master key: set the HEARTH_MASTER_KEY it was encrypted under (during a rotation, the old one as HEARTH_MASTER_KEY_PREVIOUS)`,
  );
}

function openSqlite(options: OpenOptions): Storage {
  ensureDataDir(options.dataDir);
  const file = join(options.dataDir, options.sqliteFile ?? 'hearth.db');
  if (!existsSync(file)) closeSync(openSync(file, 'a', 0o600));
  chmodSync(file, 0o600);
  const sqlite = openSqliteFile(file, options);
  // WAL + NORMAL: a committed transaction survives a process crash (SIGKILL); only an OS
  // crash can lose the last commits, and the file stays consistent either way.
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('secure_delete = ON');
  // 32 MiB of page cache (the default is 2 MiB): index inserts at a million rows stay in memory.
  sqlite.pragma('cache_size = -32768');
  // A WAL grown by a burst is cut back to this size once checkpointed.
  sqlite.pragma('journal_size_limit = 67108864');
  sqliteVec.load(sqlite);
  for (const suffix of ['-wal', '-shm']) if (existsSync(file + suffix)) chmodSync(file + suffix, 0o600);
  let checkpointer: Checkpointer | undefined;
  if (options.backgroundCheckpoints !== false) {
    sqlite.pragma(`wal_autocheckpoint = ${FALLBACK_CHECKPOINT_PAGES}`);
    checkpointer = startCheckpointer({
      file,
      encryptionKey: options.encryptionKey,
      ...(options.checkpointIntervalMs !== undefined ? { intervalMs: options.checkpointIntervalMs } : {}),
      // Without the worker, commits checkpoint again as SQLite does by default.
      onFailure: () => {
        if (sqlite.open) sqlite.pragma(`wal_autocheckpoint = ${INLINE_CHECKPOINT_PAGES}`);
      },
    });
  }
  const statements = cachedStatements(sqlite);
  const lock = createFifoLock();
  const db = new Kysely<CoreTables>({ dialect: new FifoSqliteDialect({ database: statements }, lock) });
  runDirectlyWhenFree(db as unknown as Kysely<unknown>, statements, lock, () => sqlite.open);
  return {
    db,
    dialect: 'sqlite',
    sqlite,
    pool: undefined,
    file,
    pgSchema: undefined,
    checkpointer,
    async close() {
      // The worker first: the last connection to close folds the WAL into the database.
      await checkpointer?.close();
      await db.destroy();
      // kysely closes the handle only if it ever used it; raw users (FTS, backup) may have been the only ones.
      if (sqlite.open) sqlite.close();
    },
  };
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

async function openPostgres(url: string, options: OpenOptions): Promise<Storage> {
  const schema = options.pgSchema;
  if (schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('invalid PostgreSQL schema name');
  // The driver loads only for PostgreSQL (SQLite servers never need it).
  const { default: pg } = await import('pg');
  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }
  // Timestamps are stored as int8 milliseconds; read them back as numbers, without touching pg's global parsers.
  const types = {
    getTypeParser(oid: number, format?: 'text' | 'binary') {
      if (oid === INT8_OID) return (v: string) => Number(v);
      if (oid === NUMERIC_OID) return (v: string) => Number(v);
      return pg.types.getTypeParser(oid, format ?? 'text');
    },
  };
  const pool = new pg.Pool({
    connectionString: url,
    max: options.pgPoolSize ?? 10,
    types: types as pg.CustomTypesConfig,
    ...(schema ? { options: `-c search_path=${schema},public` } : {}),
  });
  pool.on('error', () => {
    // An idle client lost its connection; the pool replaces it. Queries report their own errors.
  });
  const db = new Kysely<CoreTables>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    dialect: 'postgres',
    sqlite: undefined,
    pool,
    file: undefined,
    pgSchema: schema ?? 'public',
    checkpointer: undefined,
    async close() {
      await db.destroy();
    },
  };
}
