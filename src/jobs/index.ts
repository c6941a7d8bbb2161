import type { Logger } from '../logging/index.js';
import type { Storage } from '../storage/index.js';
import { JobError } from './errors.js';
import { createInProcessRunner } from './in-process.js';
import { createPgBossRunner } from './pg-boss.js';
import type { JobRunner } from './types.js';

export type { JobDefinition, JobRunner } from './types.js';
export { JobError } from './errors.js';
export { createInProcessRunner } from './in-process.js';
export { createPgBossRunner } from './pg-boss.js';
export { resolveReplicaId } from './replica.js';
export { checkWorkers, isWorkerProcess, leaveCluster, runWorkers } from './workers.js';

declare module '../core/plugin.js' {
  interface KernelBase {
    /** Background work (retention, sweeps, embeddings, turn indexing): define jobs in `init`; they run once the server starts. */
    readonly jobs: JobRunner;
    /** This process's replica id (log lines, /metrics labels, health detail). */
    readonly replica: string;
  }
}

/** pg-boss's schema for a Hearth schema: beside it, never inside (a backup copies Hearth's schema whole). */
export function jobsSchemaFor(pgSchema: string | undefined): string {
  return `${pgSchema ?? 'hearth'}_jobs`;
}

/** The runner for this storage: pg-boss on PostgreSQL, in-process timers on SQLite. */
export function createJobRunner(options: {
  storage: Pick<Storage, 'dialect' | 'pgSchema'>;
  databaseUrl: string | undefined;
  logger: Logger;
  pollingIntervalMs?: number;
  maintenanceIntervalMs?: number;
}): JobRunner {
  const logger = options.logger.child({ part: 'jobs' });
  const local = createInProcessRunner({ logger });
  if (options.storage.dialect !== 'postgres' || !options.databaseUrl) return local;
  const shared = createPgBossRunner({
    connectionString: options.databaseUrl,
    schema: jobsSchemaFor(options.storage.pgSchema),
    logger,
    ...(options.pollingIntervalMs ? { pollingIntervalMs: options.pollingIntervalMs } : {}),
    ...(options.maintenanceIntervalMs ? { maintenanceIntervalMs: options.maintenanceIntervalMs } : {}),
  });
  return splitRunner(shared, local);
}

/** Shared jobs through the queue, `local` ones on this process's timers. */
function splitRunner(shared: JobRunner, local: JobRunner): JobRunner {
  const owner = new Map<string, JobRunner>();
  return {
    backend: shared.backend,
    define(job) {
      if (owner.has(job.name)) throw new JobError('JOB_DEFINED_TWICE', `job ${job.name} is defined twice`);
      const runner = job.local ? local : shared;
      runner.define(job);
      owner.set(job.name, runner);
    },
    trigger: (name) => (owner.get(name) ?? shared).trigger(name),
    async start() {
      await local.start();
      await shared.start();
    },
    async stop() {
      await Promise.all([shared.stop(), local.stop()]);
    },
    stats: () => ({ ...local.stats(), ...shared.stats() }),
  };
}
