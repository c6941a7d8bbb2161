// Child process for the crash test: writes through the storage layer in a burst and prints
// "ack N" once each write is acknowledged (committed), until it is killed.
import { migrationsOf } from '../../src/app/index.js';
import { createSettingsRepository, migrateToLatest, openStorage } from '../../src/storage/index.js';

const migrations = migrationsOf();

const [dataDir, databaseUrl, pgSchema] = process.argv.slice(2);
const storage = await openStorage({
  dataDir: dataDir!,
  databaseUrl: databaseUrl && databaseUrl !== '-' ? databaseUrl : undefined,
  pgSchema: pgSchema && pgSchema !== '-' ? pgSchema : undefined,
});
await migrateToLatest(storage, migrations);
const settings = createSettingsRepository(storage.db);
process.stdout.write('ready\n');
for (let i = 0; ; i++) {
  await settings.set(`crash.${i}`, `value-${i}`);
  process.stdout.write(`ack ${i}\n`);
}
