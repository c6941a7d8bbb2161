// Child process for test/cluster/job-handoff.test.ts: a replica whose pg-boss worker takes the
// `embed-like` job (expiry left at its 15-minute default), prints "started", and never finishes
// it, until it is killed.
import { createPgBossRunner } from '../../src/jobs/index.js';
import { createLogger } from '../../src/logging/index.js';

const [connectionString, schema] = process.argv.slice(2);
const runner = createPgBossRunner({
  connectionString: connectionString!,
  schema: schema!,
  logger: createLogger({ level: 'silent' }),
  pollingIntervalMs: 500,
});
runner.define({
  name: 'embed-like',
  retries: 2,
  retryDelayMs: 1_000,
  run: () => {
    process.stdout.write('started\n');
    return new Promise(() => undefined);
  },
});
await runner.start();
await runner.trigger('embed-like');
