import type PgBoss from 'pg-boss';
import type { Logger } from '../logging/index.js';
import { jobRegistry } from './common.js';
import { createRunLocks, type RunLocks } from './run-locks.js';
import type { JobDefinition, JobRunner } from './types.js';

export interface PgBossRunnerOptions {
  readonly connectionString: string;
  /** pg-boss's own schema, beside Hearth's (never inside it: backups copy Hearth's schema whole). */
  readonly schema: string;
  readonly logger: Logger;
  /** How often an idle worker asks for work (pg-boss's minimum is 0.5 s). */
  readonly pollingIntervalMs?: number;
  /** How often pg-boss's maintenance (expiry of runs whose replica died, archiving) runs. */
  readonly maintenanceIntervalMs?: number;
  /** How often this replica looks for runs whose replica died (default 5 s). */
  readonly orphanCheckMs?: number;
  /** A run started this recently is never taken for dead: its replica may still be taking its lock (default 10 s). */
  readonly orphanGraceMs?: number;
}

/** At most one run queued and one active per job across replicas; retries back off exponentially. */
function queueOptions(job: JobDefinition): PgBoss.Queue {
  return {
    name: queueOf(job),
    policy: 'stately',
    retryLimit: job.retries ?? 3,
    retryDelay: Math.max(1, Math.round((job.retryDelayMs ?? 5_000) / 1000)),
    retryBackoff: true,
    expireInSeconds: Math.max(1, Math.round((job.expireMs ?? 15 * 60_000) / 1000)),
  };
}

/** Runs `fn` holding a PostgreSQL session advisory lock named `name` (released with the connection). */
async function oneAtATime(connectionString: string, name: string, fn: () => Promise<void>): Promise<void> {
  // The driver loads only on PostgreSQL, as storage's does: a SQLite server never needs it.
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString, application_name: 'hearth-jobs-setup' });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock(hashtext($1))', [name]);
    await fn();
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** pg-boss's queue names, from Hearth's job names (pg-boss refuses dots; ours have none). */
const queueOf = (job: JobDefinition) => `hearth-${job.name}`;

/**
 * PostgreSQL: each job is a pg-boss queue with the `stately` policy (at most one run queued and
 * one active, across every replica), retries with exponential backoff, and expiry, so a run
 * whose replica was killed is retried by another. Every replica asks for runs on the job's
 * schedule; the queue absorbs the duplicates.
 */
export function createPgBossRunner(options: PgBossRunnerOptions): JobRunner {
  const registry = jobRegistry();
  const timers: NodeJS.Timeout[] = [];
  const stopping = new AbortController();
  const inFlight = new Set<Promise<unknown>>();
  let boss: PgBoss | undefined;
  let locks: RunLocks | undefined;

  async function send(job: JobDefinition): Promise<void> {
    if (!boss || stopping.signal.aborted) return;
    await boss.send(queueOf(job), {}).catch((err: unknown) => options.logger.warn({ err, job: job.name }, 'could not queue a job run'));
  }
  function every(ms: number, fn: () => void, once = false) {
    const timer = once ? setTimeout(fn, ms) : setInterval(fn, ms);
    timer.unref();
    timers.push(timer);
  }
  async function work(job: JobDefinition, id: string, attempt: number): Promise<void> {
    // Held for the whole run: another replica that finds it unheld knows this process died.
    await locks!.hold(id);
    const run = job.run({ signal: stopping.signal, attempt });
    inFlight.add(run);
    try {
      await run;
      registry.count(job.name, true);
    } catch (err) {
      registry.count(job.name, false);
      options.logger.warn({ err, job: job.name, attempt }, 'job failed; pg-boss retries it with backoff');
      throw err;
    } finally {
      inFlight.delete(run);
      await locks!.release(id);
    }
  }
  /** Fails the runs of replicas that died, so pg-boss retries them now rather than at their expiry. */
  async function reapOrphans(b: PgBoss, l: RunLocks): Promise<void> {
    const names = [...registry.jobs.values()].map(queueOf);
    const graceS = (options.orphanGraceMs ?? 10_000) / 1000;
    const rows = await b.getDb().executeSql(
      `SELECT id, name, started_on::text AS started FROM "${options.schema.replace(/"/g, '""')}".job
         WHERE state = 'active' AND name = ANY($1) AND started_on < now() - make_interval(secs => $2)`,
      [names, graceS],
    );
    const runs = (rows.rows as Array<{ id: string; name: string; started: string }>).map((r) => ({
      id: r.id,
      name: r.name,
      startedOn: r.started,
    }));
    if (runs.length === 0) return;
    await l.reap(runs, async (run) => {
      await b.fail(run.name, run.id, { message: 'its replica stopped mid-run' });
      options.logger.warn({ job: run.name.replace(/^hearth-/, ''), run: run.id }, 'job run of a stopped replica handed on');
    });
  }
  return {
    backend: 'pg-boss',
    define: (job) => registry.define(job),
    async trigger(name) {
      await send(registry.get(name));
    },
    async start() {
      if (!registry.markStarted()) return;
      // Loaded only on PostgreSQL, when the server starts.
      const { default: Boss } = await import('pg-boss');
      const b = new Boss({
        connectionString: options.connectionString,
        schema: options.schema,
        application_name: 'hearth-jobs',
        max: 3,
        // Hearth asks for runs itself (every replica, deduplicated by the queue): no cron.
        schedule: false,
        supervise: true,
        maintenanceIntervalSeconds: Math.max(1, Math.round((options.maintenanceIntervalMs ?? 60_000) / 1000)),
      });
      b.on('error', (err: unknown) => options.logger.warn({ err }, 'job queue error'));
      // Replicas starting together would deadlock creating pg-boss's schema and queue partitions: one at a time.
      await oneAtATime(options.connectionString, `hearth.jobs.${options.schema}`, async () => {
        await b.start();
        for (const job of registry.jobs.values()) await b.createQueue(queueOf(job), queueOptions(job));
      });
      boss = b;
      const l = (locks = await createRunLocks({
        connectionString: options.connectionString,
        schema: options.schema,
        logger: options.logger,
      }));
      let reaping = false;
      every(options.orphanCheckMs ?? 5_000, () => {
        if (reaping || stopping.signal.aborted) return;
        reaping = true;
        reapOrphans(b, l)
          .catch((err: unknown) => options.logger.warn({ err }, 'could not check for runs of stopped replicas'))
          .finally(() => (reaping = false));
      });
      for (const job of registry.jobs.values()) {
        await b.work<object>(
          queueOf(job),
          { pollingIntervalSeconds: Math.max(0.5, (options.pollingIntervalMs ?? 2_000) / 1000), includeMetadata: true },
          async ([j]) => {
            if (j) await work(job, j.id, j.retryCount + 1);
          },
        );
        if (job.atStartMs !== undefined) every(job.atStartMs, () => void send(job), true);
        if (job.everyMs) every(job.everyMs, () => void send(job));
      }
    },
    async stop() {
      stopping.abort();
      for (const t of timers) clearTimeout(t);
      await Promise.allSettled([...inFlight]);
      // Runs cut short are failed by pg-boss's graceful stop (or expire) and retried elsewhere.
      await boss?.stop({ graceful: true, close: true, wait: true, timeout: 10_000 });
      await locks?.close();
    },
    stats: () => registry.stats(),
  };
}
