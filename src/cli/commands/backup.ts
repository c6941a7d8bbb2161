import { resolve } from 'node:path';
import { migrationsOf, storageOptions } from '../../app/index.js';
import { BackupError, createBackup, restoreBackup } from '../../backup/index.js';
import { ensureDataDir } from '../../storage/index.js';
import { createVault, resolveMasterKey } from '../../security/vault/index.js';
import { CliError, commandLogger, configFrom, EXIT, println, withHearth, type Command } from '../io.js';

function cliBackupError(err: unknown): never {
  if (err instanceof BackupError)
    throw new CliError(`${err.code}: ${err.message}`, err.code === 'BACKUP_TARGET_NOT_EMPTY' ? EXIT.usage : EXIT.failure);
  throw err;
}

/** `hearth backup FILE`: an encrypted, authenticated snapshot taken while Hearth serves (DATA-6). */
export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write an encrypted snapshot of the database and the data directory to FILE',
  usage: `Usage: hearth backup FILE

Takes a consistent snapshot while Hearth keeps running: the database (SQLite's online backup, or
one REPEATABLE READ export of the PostgreSQL schema) and every file of the data directory that is
Hearth's (notes and the rest; not master.key, tmp/ or run/). Encrypts and authenticates it with a
key derived from the master key and writes FILE atomically (0600). See docs/backup.md.`,
  async run(args, io) {
    const file = args[0];
    if (!file) throw new CliError('backup needs a FILE', EXIT.usage);
    return withHearth(io, async (hearth) => {
      const res = await createBackup({
        storage: hearth.storage,
        vault: hearth.vault,
        dataDir: hearth.config.dataDir,
        file: resolve(io.cwd, file),
      }).catch(cliBackupError);
      await hearth.audit.record({
        actor: { type: 'system' },
        action: 'backup.create',
        target: res.file,
        outcome: 'success',
        details: {
          bytes: res.bytes,
          keyId: res.keyId,
          dialect: res.dialect,
          files: res.files,
          rows: res.rows,
          skipped: res.skipped.length,
        },
      });
      const rows = res.dialect === 'postgres' ? `, ${res.rows} rows` : '';
      println(io.stdout, `backup written: ${res.file} (${res.bytes} bytes, ${res.files} files${rows}, key ${res.keyId})`);
      for (const path of res.skipped) println(io.stderr, `skipped (not a regular file with one link): ${path}`);
      return EXIT.ok;
    });
  },
};

/** `hearth restore FILE`: verifies the archive, stages it, then replaces the data (DATA-6). */
export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore the database and the data directory from an encrypted backup FILE',
  usage: `Usage: hearth restore FILE [--force]

Refused while any Hearth process uses the data directory (stop the server first). Checks that the
configured master key is the backup's and that the file is unaltered (AES-256-GCM tag), restores
it into a staging folder (and, for PostgreSQL, a staging schema), checks it (SQLite's integrity
check, counts), and only then replaces the database and the data directory's files. --force is
needed when data exists. The restore is recorded in the restored audit log.`,
  async run(args, io) {
    const file = args.find((a) => !a.startsWith('--'));
    if (!file) throw new CliError('restore needs a FILE', EXIT.usage);
    const config = configFrom(io);
    ensureDataDir(config.dataDir);
    let vault;
    try {
      vault = createVault({
        masterKey: resolveMasterKey({ config, logger: commandLogger(io, config), create: false }),
        previousMasterKey: config.previousMasterKey,
      });
    } catch (err) {
      throw new CliError(`${(err as Error).message}; restore needs the master key the backup was made with`);
    }
    const path = resolve(io.cwd, file);
    // With HEARTH_DATABASE_ENCRYPTION=on the restored database is (or is made) encrypted under this master key.
    const { encryptionKey, previousEncryptionKey } = storageOptions(config, commandLogger(io, config));
    const res = await restoreBackup({
      vault,
      encryptionKey,
      previousEncryptionKey,
      dataDir: config.dataDir,
      file: path,
      databaseUrl: config.HEARTH_DATABASE_URL,
      migrations: migrationsOf(),
      replace: args.includes('--force'),
    }).catch(cliBackupError);
    await withHearth(io, (hearth) =>
      hearth.audit.record({
        actor: { type: 'system' },
        action: 'backup.restore',
        target: path,
        outcome: 'success',
        details: { backupCreatedAt: res.createdAt, keyId: res.keyId, dialect: res.dialect, files: res.files, rows: res.rows },
      }),
    );
    println(io.stdout, `restored backup from ${new Date(res.createdAt).toISOString()} (key ${res.keyId}, ${res.files} files)`);
    for (const table of res.skippedTables) println(io.stderr, `not restored (not a table of this Hearth): ${table}`);
    return EXIT.ok;
  },
};
