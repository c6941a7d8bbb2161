import cluster, { type Worker } from 'node:cluster';
import { JobError } from './errors.js';

/**
 * HEARTH_WORKERS=N: N processes share the port on one machine (node:cluster). Each is a full
 * replica, so the same rules hold as for replicas on several machines: PostgreSQL only, since
 * SQLite is one process's file (its single writer and in-process jobs cannot be shared).
 */
export function checkWorkers(workers: number, databaseUrl: string | undefined): void {
  if (workers > 1 && !databaseUrl)
    throw new JobError(
      'WORKERS_NEED_POSTGRES',
      `HEARTH_WORKERS=${workers} needs PostgreSQL (HEARTH_DATABASE_URL): SQLite serves one process; unset HEARTH_WORKERS or set it to 1`,
    );
}

export interface WorkersOptions {
  readonly workers: number;
  /** Base of the replica ids: worker i gets `${replica}-w${i}`. */
  readonly replica: string;
  readonly log: (line: string) => void;
  /** Delay before a worker that died is started again. */
  readonly restartDelayMs?: number;
}

/**
 * The primary process: forks the workers (each runs `hearth start` again, as a worker), starts a
 * worker that dies again, forwards SIGTERM/SIGINT and resolves with 0 when all have stopped.
 */
export function runWorkers(options: WorkersOptions): Promise<number> {
  let stopping = false;
  const live = new Set<Worker>();
  // A worker that keeps dying waits longer each time (1 s, 2 s, 4 s … 30 s); one that ran a minute starts afresh.
  const failures = new Map<number, number>();
  const fork = (i: number) => {
    const started = Date.now();
    const worker = cluster.fork({ HEARTH_REPLICA_ID: `${options.replica}-w${i}`, HEARTH_WORKER_INDEX: String(i), HEARTH_WORKERS: '1' });
    live.add(worker);
    worker.on('exit', (code, signal) => {
      live.delete(worker);
      if (stopping) {
        if (live.size === 0) done(0);
        return;
      }
      const n = Date.now() - started > 60_000 ? 0 : (failures.get(i) ?? 0) + 1;
      failures.set(i, n);
      const delay = Math.min((options.restartDelayMs ?? 1_000) * 2 ** Math.max(0, n - 1), 30_000);
      options.log(`worker ${i} (pid ${worker.process.pid}) exited (${signal ?? code}); starting it again in ${delay} ms`);
      setTimeout(() => !stopping && fork(i), delay);
    });
  };
  let done: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (done = resolve));
  for (let i = 1; i <= options.workers; i++) fork(i);
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    options.log(`${signal}: stopping ${live.size} workers`);
    if (live.size === 0) done(0);
    for (const w of live) w.process.kill(signal);
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return finished;
}

/**
 * A worker's end: its IPC channel to the primary would keep it alive after the server closed (or
 * failed to start), so it disconnects; anything else still open gets 5 s, then the process exits.
 */
export function leaveCluster(code: number): void {
  if (!cluster.isWorker) return;
  process.exitCode = code;
  setTimeout(() => process.exit(code), 5_000).unref();
  cluster.worker?.disconnect();
}

/** True in a process forked by runWorkers. */
export const isWorkerProcess = (): boolean => cluster.isWorker;
