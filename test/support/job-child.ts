// Child process for the job hand-off test: a replica whose pg-boss worker takes the `handoff` job,
// prints "started", and never finishes it, until it is killed.
import { createPgBossRunner } from '../../src/jobs/index.js';
import { createLogger } from '../../src/logging/index.js';

const [connectionString, schema] = process.argv.slice(2);
const logger = createLogger({ level: 'silent' });
const runner = createPgBossRunner({ connectionString: connectionString!, schema: schema!, logger, pollingIntervalMs: 500 });
runner.define({
  name: 'handoff',
  expireMs: 2_000,
  retries: 2,
  retryDelayMs: 1_000,
  run: () => {
    process.stdout.write('started\n');
    return new Promise(() => undefined);
  },
});
await runner.start();
await runner.trigger('handoff');
process.stdout.write('ready\n');
