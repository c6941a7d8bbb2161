import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { BackupError, createBackup, restoreBackup } from '../../backup/index.js';
import { ensureDataDir } from '../../storage/index.js';
import { createVault, resolveMasterKey } from '../../security/vault/index.js';
import { CliError, commandLogger, configFrom, EXIT, println, withHearth, type Command } from '../io.js';

function cliBackupError(err: unknown): never {
  if (err instanceof BackupError) throw new CliError(`${err.code}: ${err.message}`);
  throw err;
}

/** `hearth backup FILE`: an encrypted, authenticated snapshot taken while Hearth serves (DATA-6). */
export const backupCommand: Command = {
  name: 'backup',
  summary: 'Write an encrypted snapshot of the database to FILE',
  usage: `Usage: hearth backup FILE

Takes a consistent SQLite snapshot (online backup; Hearth may keep running), encrypts and
authenticates it with a key derived from the master key, and writes FILE atomically (0600).
For PostgreSQL use pg_dump (see docs/backup.md).`,
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
        details: { bytes: res.bytes, keyId: res.keyId },
      });
      println(io.stdout, `backup written: ${res.file} (${res.bytes} bytes, key ${res.keyId})`);
      return EXIT.ok;
    });
  },
};

/** `hearth restore FILE`: verifies key, integrity and database before replacing anything (DATA-6). */
export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Restore the database from an encrypted backup FILE',
  usage: `Usage: hearth restore FILE [--force]

Stop Hearth first. Checks that the configured master key is the backup's, that the file is
unaltered (AES-256-GCM tag) and that the database inside passes SQLite's integrity check; only
then replaces the database in the data directory. --force is needed when a database exists.`,
  async run(args, io) {
    const file = args.find((a) => !a.startsWith('--'));
    if (!file) throw new CliError('restore needs a FILE', EXIT.usage);
    const config = configFrom(io);
    if (config.HEARTH_DATABASE_URL)
      throw new CliError('restore covers SQLite; for PostgreSQL use pg_restore (see docs/backup.md)', EXIT.usage);
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
    if (existsSync(join(config.dataDir, 'hearth.db')) && !args.includes('--force'))
      throw new CliError('a database already exists in the data directory; add --force to replace it', EXIT.usage);
    const res = await restoreBackup({ vault, dataDir: config.dataDir, file: resolve(io.cwd, file) }).catch(cliBackupError);
    println(io.stdout, `restored backup from ${new Date(res.createdAt).toISOString()} (key ${res.keyId})`);
    return EXIT.ok;
  },
};
