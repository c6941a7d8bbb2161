import { createCipheriv, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createTempFile, fsyncDir } from '../files/index.js';
import type { HearthVault } from '../security/vault/index.js';
import type { Storage } from '../storage/index.js';
import { BackupError, encodePrefix, backupKey, type BackupHeader } from './format.js';

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
  readonly keyId: string;
}

/**
 * Writes an encrypted, authenticated snapshot of the SQLite database to `file` while Hearth keeps
 * serving (DATA-6): SQLite's online backup into a private 0600 temp file, AES-256-GCM under a
 * per-backup key derived from the master key, written atomically (temp, fsync, rename).
 */
export async function createBackup(options: {
  storage: Storage;
  vault: HearthVault;
  dataDir: string;
  file: string;
  now?: () => number;
}): Promise<BackupResult> {
  const { storage, vault } = options;
  if (storage.dialect !== 'sqlite' || !storage.sqlite)
    throw new BackupError('BACKUP_UNSUPPORTED', 'hearth backup covers SQLite; for PostgreSQL use pg_dump (see docs/backup.md)');
  const target = resolve(options.file);
  const snapshot = createTempFile(options.dataDir, '.db');
  const partial = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.partial`);
  try {
    await storage.sqlite.backup(snapshot.path);
    const header: BackupHeader = {
      v: 1,
      keyId: vault.keyId,
      salt: randomBytes(16).toString('hex'),
      nonce: randomBytes(12).toString('hex'),
      createdAt: (options.now ?? Date.now)(),
      dialect: 'sqlite',
    };
    const prefix = encodePrefix(header);
    const cipher = createCipheriv('aes-256-gcm', backupKey(vault, header), Buffer.from(header.nonce, 'hex'));
    cipher.setAAD(prefix);
    const out = await open(partial, 'wx', 0o600);
    let bytes = 0;
    try {
      const write = async (b: Buffer) => {
        if (b.length === 0) return;
        await out.write(b);
        bytes += b.length;
      };
      await write(prefix);
      for await (const chunk of createReadStream(snapshot.path)) await write(cipher.update(chunk as Buffer));
      await write(cipher.final());
      await write(cipher.getAuthTag());
      await out.sync();
    } finally {
      await out.close();
    }
    await rename(partial, target);
    fsyncDir(dirname(target));
    return { file: target, bytes, keyId: header.keyId };
  } finally {
    snapshot.remove();
    await rm(partial, { force: true });
  }
}
