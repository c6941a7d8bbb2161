import { migrationsOf, storageOptions } from '../../app/index.js';
import { migrateDown, migrateToLatest, migrationStatus, openStorage, type Storage } from '../../storage/index.js';
import { CliError, commandLogger, configFrom, EXIT, println, type CliIo, type Command } from '../io.js';

/** Migrations need only the database: no services are built (they may need the tables first). */
async function withStorage<T>(io: CliIo, fn: (storage: Storage) => Promise<T>): Promise<T> {
  const config = configFrom(io);
  const storage = await openStorage(storageOptions(config, commandLogger(io, config)));
  try {
    return await fn(storage);
  } finally {
    await storage.close();
  }
}

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Show or apply database migrations',
  usage: `Usage: hearth migrate status | up | down --yes

  status     list migrations and whether each is applied
  up         apply every pending migration (also done by \`hearth start\`)
  down --yes roll back the newest migration (destructive; owner only)`,
  async run(args, io) {
    const [sub = 'status', ...rest] = args;
    if (!['status', 'up', 'down'].includes(sub))
      throw new CliError(`unknown migrate subcommand: ${sub} (see hearth migrate --help)`, EXIT.usage);
    if (sub === 'down' && !rest.includes('--yes')) throw new CliError('migrate down destroys data; add --yes to confirm', EXIT.usage);
    return withStorage(io, async (storage) => {
      if (sub === 'up') {
        const res = await migrateToLatest(storage, migrationsOf());
        const applied = res.results?.filter((r) => r.status === 'Success').map((r) => r.migrationName) ?? [];
        println(io.stdout, applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
        return EXIT.ok;
      }
      if (sub === 'down') {
        const name = await migrateDown(storage, migrationsOf());
        println(io.stdout, name ? `rolled back: ${name}` : 'nothing to roll back');
        return EXIT.ok;
      }
      for (const m of await migrationStatus(storage, migrationsOf()))
        println(io.stdout, `${m.appliedAt ? 'applied' : 'pending'}\t${m.name}`);
      return EXIT.ok;
    });
  },
};
