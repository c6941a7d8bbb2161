import { closeSync, openSync, readSync } from 'node:fs';
import { hkdfSync } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { HearthError } from '../core/index.js';

/**
 * Whole-database encryption for SQLite (DATA-2): the driver is SQLite3 Multiple Ciphers
 * (better-sqlite3-multiple-ciphers, installed under the better-sqlite3 name), every page of the
 * database and its WAL encrypted with ChaCha20-Poly1305 under a key derived from the master key.
 * The key is given raw (`x'…'`), so no passphrase KDF runs at open: the master key already has
 * 256 bits of entropy.
 */
/** Code names the operator sees; messages never include key material. */
export type StorageErrorCode = 'DATABASE_KEY_WRONG' | 'DATABASE_NOT_ENCRYPTED' | 'DATABASE_ENCRYPTED' | 'DATABASE_ENCRYPT_FAILED';

export class StorageError extends HearthError<StorageErrorCode> {}

/** The page-encryption key of the SQLite database, derived from the master key (never the master key itself). */
export function databaseKey(masterKey: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, Buffer.from('hearth'), Buffer.from('hearth sqlite database v1'), 32));
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

/** What the file on disk is: empty (new), a plain SQLite database, or something else (encrypted, or not SQLite). */
export function sqliteFileKind(file: string): 'empty' | 'plain' | 'opaque' {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(SQLITE_MAGIC.length);
    const read = readSync(fd, head, 0, head.length, 0);
    if (read === 0) return 'empty';
    return read === head.length && head.equals(SQLITE_MAGIC) ? 'plain' : 'opaque';
  } finally {
    closeSync(fd);
  }
}

/** The statements that key a connection (also run by the checkpoint worker's own connection). */
export function cipherPragmas(key: Buffer): string[] {
  return [`cipher = 'chacha20'`, `key = "x'${key.toString('hex')}'"`];
}

/** Keys a freshly opened connection; must run before any other statement. */
export function applyKey(db: BetterSqlite3.Database, key: Buffer): void {
  for (const pragma of cipherPragmas(key)) db.pragma(pragma);
}

/** Whether the keyed connection can read the database (a wrong key reads as "not a database"). */
export function keyOpens(db: BetterSqlite3.Database): boolean {
  try {
    db.prepare('select count(*) from sqlite_master').get();
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_NOTADB') return false;
    throw err;
  }
}

/** Re-encrypts every page under `key` (rotation, or encrypting a plain copy). Needs rollback-journal mode. */
export function rekey(db: BetterSqlite3.Database, key: Buffer): void {
  const mode = String(db.pragma('journal_mode', { simple: true }));
  if (mode === 'wal') db.pragma('journal_mode = DELETE');
  db.pragma(`cipher = 'chacha20'`);
  db.pragma(`rekey = "x'${key.toString('hex')}'"`);
  if (mode === 'wal') db.pragma('journal_mode = WAL');
}
