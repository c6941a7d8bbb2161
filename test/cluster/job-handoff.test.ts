import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { createPgBossRunner, jobsSchemaFor, type JobRunner } from '../../src/jobs/index.js';
import { createLogger } from '../../src/logging/index.js';
import { dropSchema, PG_URL, uniqueSchema } from '../support/databases.js';
import { LogCapture } from '../support/hearth.js';

const logger = createLogger({ level: 'silent', destination: new LogCapture() });
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});
const freshSchema = () => {
  const s = jobsSchemaFor(uniqueSchema());
  schemas.push(s);
  return s;
};
/** A replica's runner that looks for dead replicas' runs often (the defaults, 5 s each, only slow the test). */
const replica = (schema: string): JobRunner =>
  createPgBossRunner({
    connectionString: PG_URL,
    schema,
    logger,
    pollingIntervalMs: 500,
    maintenanceIntervalMs: 1_000,
    orphanCheckMs: 250,
    orphanGraceMs: 1_000,
  });
async function until(check: () => boolean, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('#19 jobs: a run whose replica died is handed on at once, a live one never', () => {
  it('a replica SIGKILLed mid-run (its expiry 15 min away): another replica runs the job, once', async () => {
    const schema = freshSchema();
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/cluster/job-run-child.ts', PG_URL, schema], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (c: Buffer) => c.toString().includes('started') && resolve());
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const other = replica(schema);
    const attempts: number[] = [];
    other.define({ name: 'embed-like', retries: 2, retryDelayMs: 1_000, run: async ({ attempt }) => void attempts.push(attempt) });
    await other.start();
    try {
      // Without the hand-over the stately queue would hold the dead run active for 15 minutes.
      await until(() => attempts.length > 0, 'the dead replica’s run to be run again');
      await new Promise((r) => setTimeout(r, 1_500));
      expect(attempts).toEqual([2]);
      expect(other.stats()['embed-like']).toEqual({ succeeded: 1, failed: 0 });
    } finally {
      await other.stop();
    }
  }, 90_000);

  it('a run longer than the grace, on a live replica, is never taken for dead: it runs once, never beside itself', async () => {
    const schema = freshSchema();
    const [a, b] = [replica(schema), replica(schema)];
    let active = 0;
    let most = 0;
    let runs = 0;
    for (const r of [a, b])
      r.define({
        name: 'long',
        retries: 2,
        retryDelayMs: 1_000,
        async run() {
          runs++;
          most = Math.max(most, ++active);
          await new Promise((done) => setTimeout(done, 4_000));
          active--;
        },
      });
    await a.start();
    await b.start();
    try {
      await a.trigger('long');
      await until(() => runs >= 1 && active === 0, 'the run to finish');
      // both replicas checked for dead runs many times meanwhile; give a wrong hand-over time to show
      await new Promise((r) => setTimeout(r, 2_000));
      expect({ runs, most }).toEqual({ runs: 1, most: 1 });
      const stats = [a.stats().long!, b.stats().long!];
      expect(stats.reduce((n, s) => n + s.succeeded, 0)).toBe(1);
      expect(stats.reduce((n, s) => n + s.failed, 0)).toBe(0);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 90_000);
});
