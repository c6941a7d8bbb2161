import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { applyKey, keyOpens, rekey, sqliteFileKind, StorageError } from './encryption.js';

/** Row counts of the ordinary tables (virtual tables are counted through their shadow tables). */
function tableCounts(db: BetterSqlite3.Database): Record<string, number> {
  const tables = db
    .prepare(`select name from sqlite_master where type = 'table' and sql not like 'CREATE VIRTUAL TABLE%' and name not like 'sqlite_%'`)
    .pluck()
    .all() as string[];
  return Object.fromEntries(
    tables.map(
      (t) =>
        [
          t,
          Number(
            db
              .prepare(`select count(*) from "${t.replace(/"/g, '""')}"`)
              .pluck()
              .get(),
          ),
        ] as const,
    ),
  );
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Converts a plain SQLite database to an encrypted one (`hearth db encrypt`, DATA-2), crash-safe:
 * a consistent copy is written beside it (VACUUM INTO), encrypted, reopened with the key and
 * checked (integrity and every table's row count), and only then renamed over the plain file in
 * one atomic step. Killed at any point before the rename, the plain database is untouched and the
 * half-made copy is removed by the next run; after it, the database is the verified encrypted copy.
 * The caller makes sure no Hearth process has the database open.
 */
export function encryptDatabaseFile(file: string, key: Buffer): { tables: number; rows: number } {
  const kind = sqliteFileKind(file);
  if (kind === 'opaque') throw new StorageError('DATABASE_ENCRYPTED', `${file} is already encrypted (or is not a SQLite database)`);
  const copy = `${file}.encrypting`;
  for (const leftover of [copy, `${copy}-journal`, `${copy}-wal`, `${copy}-shm`]) rmSync(leftover, { force: true });

  const plain = new BetterSqlite3(file, { fileMustExist: true });
  let counts: Record<string, number>;
  try {
    sqliteVec.load(plain);
    // Everything committed, in the main file; the copy is one consistent snapshot of it.
    plain.pragma('wal_checkpoint(TRUNCATE)');
    counts = tableCounts(plain);
    plain.prepare('VACUUM INTO ?').run(copy);
  } finally {
    plain.close();
  }

  const encrypting = new BetterSqlite3(copy, { fileMustExist: true });
  try {
    encrypting.pragma('journal_mode = DELETE');
    rekey(encrypting, key);
  } finally {
    encrypting.close();
  }

  const check = new BetterSqlite3(copy, { fileMustExist: true });
  try {
    applyKey(check, key);
    if (!keyOpens(check))
      throw new StorageError('DATABASE_ENCRYPT_FAILED', 'the encrypted copy does not open with the key; nothing was changed');
    sqliteVec.load(check);
    const integrity = check.pragma('integrity_check', { simple: true });
    if (integrity !== 'ok')
      throw new StorageError('DATABASE_ENCRYPT_FAILED', `the encrypted copy failed its integrity check; nothing was changed`);
    const after = tableCounts(check);
    for (const [table, n] of Object.entries(counts))
      if (after[table] !== n)
        throw new StorageError('DATABASE_ENCRYPT_FAILED', `table ${table} differs in the encrypted copy; nothing was changed`);
    // Back to WAL, as every Hearth process opens it.
    check.pragma('journal_mode = WAL');
  } catch (err) {
    check.close();
    rmSync(copy, { force: true });
    throw err;
  }
  check.close();

  // The plain file's WAL must not outlive it: after the rename it would be replayed into the copy.
  for (const suffix of ['-wal', '-shm'])
    if (existsSync(file + suffix)) {
      rmSync(copy, { force: true });
      throw new StorageError(
        'DATABASE_ENCRYPT_FAILED',
        `${file}${suffix} exists: is a Hearth process still using the database? Nothing was changed`,
      );
    }
  fsyncPath(copy);
  renameSync(copy, file);
  fsyncPath(dirname(file));
  return { tables: Object.keys(counts).length, rows: Object.values(counts).reduce((a, b) => a + b, 0) };
}
