import { createReadStream, rmSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { createTempFile } from '../files/index.js';
import type { HearthVault } from '../security/vault/index.js';
import { sqliteFileKind, type Storage } from '../storage/index.js';
import { writeArchive } from './archive.js';
import { exportPostgres } from './postgres.js';
import { addDataTree } from './tree.js';

export interface BackupResult {
  readonly file: string;
  readonly bytes: number;
  readonly keyId: string;
  readonly dialect: 'sqlite' | 'postgres';
  /** Files of the data directory copied (notes and the rest). */
  readonly files: number;
  /** PostgreSQL rows exported (0 for SQLite, whose database is one file). */
  readonly rows: number;
  /** Entries of the data directory not copied: links, devices, hard-linked files. */
  readonly skipped: readonly string[];
}

/**
 * Writes an encrypted, authenticated snapshot to `file` while Hearth keeps serving (DATA-6): the
 * database (SQLite's online backup, or one REPEATABLE READ export of the PostgreSQL schema), then
 * the data directory's files (notes and the rest; see tree.ts for what stays out), through
 * AES-256-GCM under a per-backup key derived from the master key, written atomically (0600).
 */
export async function createBackup(options: {
  storage: Storage;
  vault: HearthVault;
  dataDir: string;
  file: string;
  now?: () => number;
}): Promise<BackupResult> {
  const { storage, vault, dataDir } = options;
  const file = resolve(options.file);
  const dbName = basename(storage.file ?? 'hearth.db');
  let files = 0;
  let rows = 0;
  let skipped: readonly string[] = [];
  const snapshot = storage.dialect === 'sqlite' ? createTempFile(dataDir, '.db') : undefined;
  try {
    const { bytes, keyId } = await writeArchive({
      vault,
      dialect: storage.dialect,
      file,
      now: options.now ?? Date.now,
      async fill(sink) {
        if (snapshot) {
          // An encrypted database cannot feed SQLite's online backup into a plain file; VACUUM INTO
          // writes the same consistent snapshot, encrypted under the database's own key (DATA-2).
          if (storage.file && sqliteFileKind(storage.file) === 'opaque') {
            rmSync(snapshot.path, { force: true });
            storage.sqlite!.prepare('VACUUM INTO ?').run(snapshot.path);
          } else await storage.sqlite!.backup(snapshot.path);
          const size = (await stat(snapshot.path)).size;
          await sink.add({ t: 'sqlite', size }, createReadStream(snapshot.path));
        } else rows = (await exportPostgres(sink, storage)).rows;
        const tree = await addDataTree(sink, dataDir, dbName);
        files = tree.files;
        skipped = tree.skipped;
        await sink.add({ t: 'end', files, rows });
      },
    });
    return { file, bytes, keyId, dialect: storage.dialect, files, rows, skipped };
  } finally {
    snapshot?.remove();
  }
}
