import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createInProcessRunner,
  createPgBossRunner,
  JobError,
  jobsSchemaFor,
  type JobDefinition,
  type JobRunner,
} from '../../src/jobs/index.js';
import { createLogger } from '../../src/logging/index.js';
import { dropSchema, PG_URL, uniqueSchema } from '../support/databases.js';
import { LogCapture } from '../support/hearth.js';

const logger = createLogger({ level: 'silent', destination: new LogCapture() });
const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

type Make = () => JobRunner;
const backends: Array<[string, () => Make]> = [
  ['in-process', () => () => createInProcessRunner({ logger })],
  [
    'pg-boss',
    () => {
      // Replicas of one deployment share the job schema.
      const schema = jobsSchemaFor(uniqueSchema());
      schemas.push(schema);
      return () => createPgBossRunner({ connectionString: PG_URL, schema, logger, pollingIntervalMs: 500, maintenanceIntervalMs: 1000 });
    },
  ],
];

/** A promise with its resolver, to hold a job run open. */
function gate() {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}
function until(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => check() && (clearInterval(t), resolve()), 20);
  });
}

describe.each(backends)('job runner on %s (jobs: singleton, at least once, retries)', (name, setup) => {
  it('a job never runs twice at the same time, even asked for by two replicas; asks during a run queue one more run', async () => {
    const make = setup();
    let active = 0;
    let most = 0;
    let runs = 0;
    const gates = [gate(), gate()];
    const job = (): JobDefinition => ({
      name: 'exclusive',
      async run() {
        active++;
        most = Math.max(most, active);
        const g = gates[runs++];
        await g?.opened;
        active--;
      },
    });
    // In-process is one process's runner (SQLite allows one); pg-boss gets two replicas on one database.
    const a = make();
    const b = name === 'pg-boss' ? make() : a;
    a.define(job());
    if (b !== a) b.define(job());
    await a.start();
    await b.start();
    await a.trigger('exclusive');
    await until(() => runs === 1);
    for (let i = 0; i < 5; i++) await (i % 2 ? a : b).trigger('exclusive');
    gates[0]!.open();
    await until(() => runs === 2);
    gates[1]!.open();
    await until(() => active === 0);
    await Promise.all([a.stop(), b === a ? undefined : b.stop()]);
    expect(most).toBe(1);
    expect(runs).toBe(2);
    const done = (r: JobRunner) => r.stats().exclusive!.succeeded;
    expect(done(a) + (b === a ? 0 : done(b))).toBe(2);
  });

  it('a failed run is retried with backoff until it succeeds', async () => {
    const runner = setup()();
    const attempts: number[] = [];
    runner.define({
      name: 'flaky',
      retries: 3,
      retryDelayMs: 1000,
      async run({ attempt }) {
        attempts.push(attempt);
        if (attempts.length < 3) throw new Error('not yet');
      },
    });
    await runner.start();
    await runner.trigger('flaky');
    await until(() => runner.stats().flaky!.succeeded === 1);
    await runner.stop();
    expect(attempts).toEqual([1, 2, 3]);
    expect(runner.stats().flaky).toEqual({ succeeded: 1, failed: 2 });
  });

  it('runs a job at start and on its interval', async () => {
    const runner = setup()();
    let runs = 0;
    runner.define({ name: 'ticking', atStartMs: 0, everyMs: 600, run: async () => void runs++ });
    await runner.start();
    await until(() => runs >= 2);
    await runner.stop();
  });
});

describe('job definitions', () => {
  it('refuses a bad name, a name defined twice and a definition after start', async () => {
    const runner = createInProcessRunner({ logger });
    const err = (fn: () => void) => {
      try {
        fn();
      } catch (e) {
        return (e as JobError).code;
      }
      return undefined;
    };
    expect(err(() => runner.define({ name: 'has a space', run: async () => undefined }))).toBe('JOB_INVALID_NAME');
    runner.define({ name: 'once', run: async () => undefined });
    expect(err(() => runner.define({ name: 'once', run: async () => undefined }))).toBe('JOB_DEFINED_TWICE');
    await runner.start();
    expect(err(() => runner.define({ name: 'late', run: async () => undefined }))).toBe('JOB_DEFINED_LATE');
    await expect(runner.trigger('nobody')).rejects.toBeInstanceOf(JobError);
    await runner.stop();
  });
});

describe('a replica killed mid-job (pg-boss)', () => {
  it('the job is handed to another replica and completes there once', async () => {
    const schema = jobsSchemaFor(uniqueSchema());
    schemas.push(schema);
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/job-child.ts', PG_URL, schema], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.on('error', reject);
      child.stdout.on('data', (c: Buffer) => c.toString().includes('started') && resolve());
    });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const other = createPgBossRunner({ connectionString: PG_URL, schema, logger, pollingIntervalMs: 500, maintenanceIntervalMs: 1000 });
    let completed = 0;
    other.define({ name: 'handoff', expireMs: 2_000, run: async () => void completed++ });
    await other.start();
    await until(() => completed === 1);
    await other.stop();
    expect(completed).toBe(1);
    expect(other.stats().handoff).toEqual({ succeeded: 1, failed: 0 });
  });
});
