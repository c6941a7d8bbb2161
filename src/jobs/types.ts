/** What one run of a job gets: stop signal (shutdown) and which attempt this is (1 first). */
interface JobContext {
  readonly signal: AbortSignal;
  readonly attempt: number;
}

/**
 * One kind of background work. The code must be idempotent: a run may be repeated after a crash
 * (at least once), but never overlaps another run of the same job on any replica.
 */
export interface JobDefinition {
  /** Queue name: letters, digits, `-` and `_` (`memory-embed`). */
  readonly name: string;
  run(context: JobContext): Promise<unknown>;
  /** Asks for a run this often (coalesced: one queued and one running at most). */
  readonly everyMs?: number;
  /** Asks for a run this many ms after start (0: at once); unset: only on `everyMs` or `trigger`. */
  readonly atStartMs?: number;
  /** Further attempts after a failure, with exponential backoff from `retryDelayMs`. */
  readonly retries?: number;
  readonly retryDelayMs?: number;
  /**
   * Work on this machine's own files (the data directory's temp files): runs in every process,
   * on its timers, never through the shared queue (which would let one replica sweep for all).
   */
  readonly local?: boolean;
  /** PostgreSQL: a run not finished in this time (its replica died) is handed to another. */
  readonly expireMs?: number;
}

/** Runs jobs: pg-boss queues on PostgreSQL, in-process timers on SQLite; the same job code either way. */
export interface JobRunner {
  readonly backend: 'pg-boss' | 'in-process';
  /** Before `start`: registers a job (a second one with the same name is a mistake). */
  define(job: JobDefinition): void;
  /** Asks for a run soon; a run already queued absorbs it. */
  trigger(name: string): Promise<void>;
  /** Starts the queues, the workers and the timers (once, when the server starts). */
  start(): Promise<void>;
  /** Stops timers and workers, waiting for the runs in flight. */
  stop(): Promise<void>;
  /** Names of the defined jobs and how many runs succeeded and failed in this process (health detail). */
  stats(): Record<string, { succeeded: number; failed: number }>;
}

export const JOB_NAME = /^[A-Za-z0-9_-]{1,50}$/;
