import { join } from 'node:path';
import { BackupError, claimDataDirForRestore } from '../../backup/index.js';
import { resolveMasterKey } from '../../security/vault/index.js';
import { databaseKey, encryptDatabaseFile, StorageError } from '../../storage/index.js';
import { CliError, commandLogger, configFrom, EXIT, println, withHearth, type Command } from '../io.js';

/** `hearth db encrypt`: converts the plain SQLite database to an encrypted one, in place and crash-safe (DATA-2). */
export const dbCommand: Command = {
  name: 'db',
  summary: 'Encrypt the SQLite database in place (stop Hearth first)',
  usage: `Usage: hearth db encrypt

  encrypt   convert the plain SQLite database in the data directory to one encrypted under a key
            derived from the master key (HEARTH_MASTER_KEY). Stop Hearth first. The plain file is
            replaced only after the encrypted copy verifies; then set HEARTH_DATABASE_ENCRYPTION=on.`,
  async run(args, io) {
    const [sub] = args;
    if (sub !== 'encrypt') throw new CliError(`unknown db subcommand: ${sub ?? '(none)'} (see hearth db --help)`, EXIT.usage);
    const config = configFrom(io);
    if (config.HEARTH_DATABASE_URL)
      throw new CliError('hearth db encrypt is for SQLite; with PostgreSQL use the server’s own at-rest encryption', EXIT.usage);
    const file = join(config.dataDir, 'hearth.db');
    const key = databaseKey(resolveMasterKey({ config, logger: commandLogger(io, config) }));
    let result: { tables: number; rows: number };
    try {
      // No server or command may have the database open while its file is replaced (DATA-6).
      const claim = claimDataDirForRestore(config.dataDir, 'encrypting the database');
      try {
        result = encryptDatabaseFile(file, key);
      } finally {
        claim.release();
      }
    } catch (err) {
      if (err instanceof StorageError || err instanceof BackupError) throw new CliError(err.message, EXIT.failure);
      throw err;
    }
    // Opened once more the way the server will, and the conversion is on the record.
    await withHearth(
      io,
      async (hearth) => {
        await hearth.audit.record({
          actor: { type: 'system' },
          action: 'storage.encrypted',
          outcome: 'success',
          details: { tables: result.tables, rows: result.rows },
        });
      },
      { env: { HEARTH_DATABASE_ENCRYPTION: 'on' } },
    );
    println(io.stdout, `encrypted ${file}: ${result.tables} tables, ${result.rows} rows verified. Now set HEARTH_DATABASE_ENCRYPTION=on.`);
    return EXIT.ok;
  },
};
