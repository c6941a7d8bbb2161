// Child process for the turn-index crash test: a whole Hearth (server on a loopback port) over the
// given data directory and PostgreSQL schema. With "hold-index", a second connection holds an
// EXCLUSIVE lock on memory_items, so a turn's write-behind index batch waits in memory (as it
// does for the instant after a reply) until the process is killed.
import pg from 'pg';
import { createHearth } from '../../src/app/index.js';
import { loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging/index.js';

const [dataDir, databaseUrl, pgSchema, mode] = process.argv.slice(2);
const config = loadConfig(
  { HEARTH_DATA_DIR: dataDir!, HEARTH_DATABASE_URL: databaseUrl!, HEARTH_LOG_LEVEL: 'error' },
  { dotenv: false, cwd: dataDir! },
);
const logger = createLogger({ level: 'error', destination: process.stderr as never });
const hearth = await createHearth({ config, logger, pgSchema });
if (mode === 'hold-index') {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`LOCK TABLE ${pgSchema}.memory_items IN EXCLUSIVE MODE`);
}
const app = await hearth.createServer();
const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${address}\n`);
process.once(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => hearth.close())
      .then(() => process.exit(0)),
);
