import { JobError } from './errors.js';
import { JOB_NAME, type JobDefinition } from './types.js';

/** The definitions and per-process counters both runners keep. */
export function jobRegistry() {
  const jobs = new Map<string, JobDefinition>();
  const counts = new Map<string, { succeeded: number; failed: number }>();
  let started = false;
  return {
    jobs,
    define(job: JobDefinition) {
      if (!JOB_NAME.test(job.name)) throw new JobError('JOB_INVALID_NAME', `invalid job name ${JSON.stringify(job.name)}`);
      if (jobs.has(job.name)) throw new JobError('JOB_DEFINED_TWICE', `job ${job.name} is defined twice`);
      if (started) throw new JobError('JOB_DEFINED_LATE', `job ${job.name} defined after the runner started`);
      jobs.set(job.name, job);
      counts.set(job.name, { succeeded: 0, failed: 0 });
    },
    get(name: string): JobDefinition {
      const job = jobs.get(name);
      if (!job) throw new JobError('JOB_UNKNOWN', `no job named ${name}`);
      return job;
    },
    markStarted() {
      const first = !started;
      started = true;
      return first;
    },
    count(name: string, ok: boolean) {
      const c = counts.get(name);
      if (!c) return;
      if (ok) c.succeeded++;
      else c.failed++;
    },
    stats: () => Object.fromEntries([...counts].map(([k, v]) => [k, { ...v }])),
  };
}

/** The delay before attempt `attempt + 1`: `base`, then doubling, capped at an hour. */
export function backoffMs(job: JobDefinition, attempt: number): number {
  return Math.min((job.retryDelayMs ?? 5_000) * 2 ** Math.max(0, attempt - 1), 3_600_000);
}
