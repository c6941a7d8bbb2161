import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { cipherPragmas } from './encryption.js';

/** What one checkpoint did: WAL frames in the log, and how many of them are now in the database. */
interface CheckpointResult {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

export interface Checkpointer {
  /** Runs a PASSIVE checkpoint now (it still runs on the worker) and reports it. */
  checkpoint(): Promise<CheckpointResult>;
  /** Stops the worker and closes its connection; the main connection's own close folds the WAL. */
  close(): Promise<void>;
}

export interface CheckpointerOptions {
  /** The SQLite file (already in WAL mode). */
  readonly file: string;
  /** How often the worker looks for new commits to checkpoint. */
  readonly intervalMs?: number;
  /** Called when the worker stops unexpectedly, so the main connection can checkpoint itself again. */
  readonly onFailure?: (err: unknown) => void;
  /** The page key of an encrypted database (encryption.ts); the worker's connection is keyed with it. */
  readonly encryptionKey?: Buffer | undefined;
}

// Plain JavaScript, evaluated in the worker: it needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: 0 });
if (workerData.cipherPragmas) for (const pragma of workerData.cipherPragmas) db.pragma(pragma);
// Unset: the first look always checkpoints (commits may have come before the worker started).
let seen;
const checkpoint = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
const timer = setInterval(() => {
  try {
    // data_version changes when another connection commits: checkpoint only after new writes.
    const version = db.pragma('data_version', { simple: true });
    if (version === seen) return;
    seen = version;
    checkpoint();
  } catch {
    // Busy (another checkpoint, a recovery): the next look tries again.
    seen = undefined;
  }
}, workerData.intervalMs);
parentPort.on('message', (message) => {
  if (message.type === 'checkpoint') parentPort.postMessage({ id: message.id, result: checkpoint() });
  if (message.type === 'close') {
    clearInterval(timer);
    db.close();
    parentPort.close();
  }
});
`;

/**
 * WAL checkpoints on the second core. By default SQLite checkpoints inside whichever commit pushes
 * the WAL past 1,000 pages: that one commit copies the pages into the database and fsyncs, on the
 * event loop, and the request behind it waits tens of milliseconds. Here a worker thread with its
 * own connection runs PASSIVE checkpoints shortly after writes; they never block writers or readers.
 */
export function startCheckpointer(options: CheckpointerOptions): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      file: options.file,
      driver,
      intervalMs: options.intervalMs ?? 200,
      cipherPragmas: options.encryptionKey ? cipherPragmas(options.encryptionKey) : undefined,
    },
  });
  // The worker never keeps the process alive; the storage's close stops it.
  worker.unref();
  const waiting = new Map<number, { resolve: (r: CheckpointResult) => void; reject: (err: unknown) => void }>();
  let nextId = 0;
  let closing = false;
  let failure: unknown;
  // An error is followed by an exit: report the first only.
  const fail = (err: unknown) => {
    if (failure !== undefined) return;
    failure = err;
    for (const w of waiting.values()) w.reject(err);
    waiting.clear();
    if (!closing) options.onFailure?.(err);
  };
  worker.on('message', (m: { id: number; result: CheckpointResult }) => {
    waiting.get(m.id)?.resolve(m.result);
    waiting.delete(m.id);
  });
  worker.on('error', fail);
  worker.on('exit', (code) => {
    if (!closing) fail(new Error(`checkpoint worker exited (${code})`));
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));

  return {
    checkpoint() {
      if (failure !== undefined || closing) return Promise.reject(failure ?? new Error('checkpointer is closed'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ type: 'checkpoint', id });
      });
    },
    async close() {
      if (closing) return exited;
      closing = true;
      // Waiting for the exit must keep the process alive (an unref'd worker does not).
      worker.ref();
      if (failure === undefined) worker.postMessage({ type: 'close' });
      else await worker.terminate();
      await exited;
    },
  };
}
