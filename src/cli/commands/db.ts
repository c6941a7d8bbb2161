import { join } from 'node:path';
import { BackupError, claimDataDirForRestore } from '../../backup/index.js';
import { resolveMasterKey } from '../../security/vault/index.js';
import { databaseKey, encryptDatabaseFile, StorageError } from '../../storage/index.js';
import { CliError, commandLogger, configFrom, EXIT, println, withHearth, type Command } from '../io.js';

/**
 * PostgreSQL (DATA-2): seals the memory text stored before HEARTH_DATABASE_ENCRYPTION was on, in
 * batches of one transaction each; killed at any point, running it again finishes the rest.
 */
async function encryptPostgres(args: readonly string[], io: Parameters<Command['run']>[1]): Promise<number> {
  const at = args.indexOf('--batch');
  const batchSize = at >= 0 ? Number(args[at + 1]) : 500;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new CliError('--batch takes 1 to 10000', EXIT.usage);
  return withHearth(
    io,
    async (hearth) => {
      const convert = hearth.memory.encryptStored;
      if (!convert) throw new CliError('column encryption is not available for this database', EXIT.failure);
      const report = await convert({ batchSize });
      await hearth.audit.record({ actor: { type: 'system' }, action: 'storage.encrypted', outcome: 'success', details: { ...report } });
      println(
        io.stdout,
        `sealed ${report.items} memory entries, ${report.versions} versions, ${report.proposals} proposals. Keep HEARTH_DATABASE_ENCRYPTION=on; run VACUUM FULL on memory_items, memory_versions and memory_proposals to drop the old row versions.`,
      );
      return EXIT.ok;
    },
    { env: { HEARTH_DATABASE_ENCRYPTION: 'on' } },
  );
}

/** `hearth db encrypt`: converts the plain SQLite database to an encrypted one, in place and crash-safe (DATA-2). */
export const dbCommand: Command = {
  name: 'db',
  summary: 'Encrypt the database: the SQLite file in place (stop Hearth first), or memory text on PostgreSQL',
  usage: `Usage: hearth db encrypt [--batch N]

  encrypt   SQLite: convert the plain database in the data directory to one encrypted under a key
            derived from the master key (HEARTH_MASTER_KEY). Stop Hearth first. The plain file is
            replaced only after the encrypted copy verifies; then set HEARTH_DATABASE_ENCRYPTION=on.
            PostgreSQL: seal the memory text stored before HEARTH_DATABASE_ENCRYPTION=on (column
            encryption, docs/privacy.md) in batches of N rows (default 500), one transaction each;
            resumable, and safe while a Hearth with the variable on is running.`,
  async run(args, io) {
    const [sub] = args;
    if (sub !== 'encrypt') throw new CliError(`unknown db subcommand: ${sub ?? '(none)'} (see hearth db --help)`, EXIT.usage);
    const config = configFrom(io);
    if (config.HEARTH_DATABASE_URL) return encryptPostgres(args.slice(1), io);
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
