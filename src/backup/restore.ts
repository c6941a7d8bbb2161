import { createDecipheriv } from 'node:crypto';
import { chmodSync, createReadStream, existsSync, rmSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { createTempFile, fsyncDir } from '../files/index.js';
import type { HearthVault } from '../security/vault/index.js';
import { BackupError, backupKey, MAGIC, MAX_HEADER_BYTES, TAG_BYTES, type BackupHeader } from './format.js';

async function readHeader(file: string): Promise<{ header: BackupHeader; prefixBytes: Buffer; size: number }> {
  const fh = await open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = Buffer.alloc(Math.min(size, MAGIC.length + 4 + MAX_HEADER_BYTES));
    await fh.read(head, 0, head.length, 0);
    if (head.length < MAGIC.length + 4 || !head.subarray(0, MAGIC.length).equals(MAGIC))
      throw new BackupError('BACKUP_MALFORMED', 'not a Hearth backup file');
    const len = head.readUInt32BE(MAGIC.length);
    const end = MAGIC.length + 4 + len;
    if (len > MAX_HEADER_BYTES || end + TAG_BYTES > size) throw new BackupError('BACKUP_MALFORMED', 'backup header is damaged');
    let header: BackupHeader;
    try {
      header = JSON.parse(head.subarray(MAGIC.length + 4, end).toString('utf8')) as BackupHeader;
    } catch {
      throw new BackupError('BACKUP_MALFORMED', 'backup header is damaged');
    }
    if (
      header.v !== 1 ||
      header.dialect !== 'sqlite' ||
      !/^[0-9a-f]{8}$/.test(String(header.keyId)) ||
      !/^[0-9a-f]{32}$/.test(String(header.salt)) ||
      !/^[0-9a-f]{24}$/.test(String(header.nonce))
    )
      throw new BackupError('BACKUP_MALFORMED', 'backup header is damaged or from an unknown version');
    return { header, prefixBytes: head.subarray(0, end), size };
  } finally {
    await fh.close();
  }
}

/**
 * Restores a backup into `<dataDir>/<sqliteFile>` (DATA-6). Everything is checked before anything
 * is replaced: the key id against the configured keys, the GCM tag over header and data, then
 * SQLite's integrity check. Only then is the file renamed into place. Hearth must be stopped.
 */
export async function restoreBackup(options: {
  vault: HearthVault;
  dataDir: string;
  file: string;
  sqliteFile?: string;
}): Promise<{ keyId: string; createdAt: number }> {
  const { vault } = options;
  const { header, prefixBytes, size } = await readHeader(options.file);
  if (header.keyId !== vault.keyId && header.keyId !== vault.previousKeyId)
    throw new BackupError(
      'BACKUP_WRONG_KEY',
      `backup was made with master key ${header.keyId}; the configured key is ${vault.keyId}. Set HEARTH_MASTER_KEY (or HEARTH_MASTER_KEY_PREVIOUS) to that key`,
    );
  const fh = await open(options.file, 'r');
  const tag = Buffer.alloc(TAG_BYTES);
  await fh.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
  await fh.close();
  const decipher = createDecipheriv('aes-256-gcm', backupKey(vault, header), Buffer.from(header.nonce, 'hex'));
  decipher.setAAD(prefixBytes);
  decipher.setAuthTag(tag);
  const staged = createTempFile(options.dataDir, '.db');
  try {
    const out = await open(staged.path, 'w');
    try {
      const input = createReadStream(options.file, { start: prefixBytes.length, end: size - TAG_BYTES - 1 });
      for await (const chunk of input) await out.write(decipher.update(chunk as Buffer));
      try {
        await out.write(decipher.final());
      } catch {
        throw new BackupError('BACKUP_TAMPERED', 'backup failed authentication (altered, truncated or wrong key); nothing was changed');
      }
      await out.sync();
    } finally {
      await out.close();
    }
    checkIntegrity(staged.path);
    const target = join(options.dataDir, options.sqliteFile ?? 'hearth.db');
    if (existsSync(target)) checkpointAndClose(target);
    await rename(staged.path, target);
    for (const suffix of ['-wal', '-shm']) rmSync(target + suffix, { force: true });
    chmodSync(target, 0o600);
    fsyncDir(options.dataDir);
    return { keyId: header.keyId, createdAt: header.createdAt };
  } finally {
    staged.remove();
  }
}

function checkIntegrity(path: string): void {
  let db: BetterSqlite3.Database | undefined;
  try {
    db = new BetterSqlite3(path, { readonly: true, fileMustExist: true });
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
}

/** Folds the old database's WAL into it so no stale WAL is applied to the restored file. */
function checkpointAndClose(path: string): void {
  const db = new BetterSqlite3(path, { fileMustExist: true, timeout: 1_000 });
  try {
    const rows = db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
    if (rows[0]?.busy) throw new BackupError('BACKUP_TARGET_IN_USE', 'the database is in use; stop Hearth before restoring');
  } finally {
    db.close();
  }
}
