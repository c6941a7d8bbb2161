import type { Logger } from '../logging/index.js';
import { backoffMs, jobRegistry } from './common.js';
import type { JobDefinition, JobRunner } from './types.js';

interface Lane {
  running: Promise<void> | undefined;
  /** A run was asked for while one ran: it follows (one queued at most, as pg-boss's stately queue). */
  again: boolean;
  retry: NodeJS.Timeout | undefined;
}

/**
 * SQLite (one process): the same jobs on timers in this process. A job never overlaps itself, a
 * request during a run queues one more run, and a failed run is retried with exponential backoff.
 */
export function createInProcessRunner(options: { logger: Logger }): JobRunner {
  const registry = jobRegistry();
  const lanes = new Map<string, Lane>();
  const timers: NodeJS.Timeout[] = [];
  const stopping = new AbortController();

  function lane(name: string): Lane {
    let l = lanes.get(name);
    if (!l) lanes.set(name, (l = { running: undefined, again: false, retry: undefined }));
    return l;
  }
  async function attempt(job: JobDefinition, n: number): Promise<void> {
    try {
      await job.run({ signal: stopping.signal, attempt: n });
      registry.count(job.name, true);
    } catch (err) {
      registry.count(job.name, false);
      if (stopping.signal.aborted) return;
      const l = lane(job.name);
      if (n <= (job.retries ?? 3)) {
        const delay = backoffMs(job, n);
        options.logger.warn({ err, job: job.name, attempt: n, retryInMs: delay }, 'job failed; will retry');
        clearTimeout(l.retry);
        l.retry = setTimeout(() => {
          l.retry = undefined;
          run(job, n + 1);
        }, delay);
        l.retry.unref();
      } else options.logger.error({ err, job: job.name, attempt: n }, 'job failed; giving up until its next run');
    }
  }
  function run(job: JobDefinition, n = 1): void {
    if (stopping.signal.aborted) return;
    const l = lane(job.name);
    if (l.running) {
      l.again = true;
      return;
    }
    l.running = attempt(job, n).finally(() => {
      l.running = undefined;
      if (l.again && !stopping.signal.aborted) {
        l.again = false;
        run(job);
      }
    });
  }
  function every(ms: number, fn: () => void, once = false) {
    const timer = once ? setTimeout(fn, ms) : setInterval(fn, ms);
    timer.unref();
    timers.push(timer);
  }
  return {
    backend: 'in-process',
    define: (job) => registry.define(job),
    async trigger(name) {
      run(registry.get(name));
    },
    async start() {
      if (!registry.markStarted()) return;
      for (const job of registry.jobs.values()) {
        if (job.atStartMs !== undefined) every(job.atStartMs, () => run(job), true);
        if (job.everyMs) every(job.everyMs, () => run(job));
      }
    },
    async stop() {
      stopping.abort();
      for (const t of timers) clearTimeout(t);
      for (const l of lanes.values()) clearTimeout(l.retry);
      await Promise.all([...lanes.values()].map((l) => l.running));
    },
    stats: () => registry.stats(),
  };
}
