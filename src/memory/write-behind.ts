import { AsyncResource } from 'node:async_hooks';

/**
 * Writes queued items in batches, off the caller's path: `push` returns at once with a promise
 * of the batch's commit, and readers call `settle` first, so they always see every pushed item
 * (read-your-writes). Items pushed during one tick share one transaction, which is what makes
 * indexing 50 concurrent turns cheap.
 */
export interface WriteBehind<T> {
  push(item: T): Promise<void>;
  /** Resolves when everything pushed so far is written (or has failed). */
  settle(): Promise<void>;
}

export function createWriteBehind<T>(write: (items: readonly T[]) => Promise<void>): WriteBehind<T> {
  // A batch serves many callers: it runs in the writer's own async context, not in that of
  // whichever caller happened to push first (per-request async state and CPU accounting).
  const scope = new AsyncResource('hearth.write-behind');
  let pending: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running: Promise<void> | undefined;
  let scheduled = false;

  async function drain(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending;
      pending = [];
      try {
        await write(batch.map((p) => p.item));
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
  }
  function start(): Promise<void> {
    running ??= scope.runInAsyncScope(drain).finally(() => {
      running = undefined;
    });
    return running;
  }
  return {
    push(item) {
      const done = new Promise<void>((resolve, reject) => pending.push({ item, resolve, reject }));
      if (!scheduled) {
        scheduled = true;
        scope.runInAsyncScope(() =>
          setImmediate(() => {
            scheduled = false;
            void start();
          }),
        );
      }
      return done;
    },
    async settle() {
      while (running || pending.length > 0) await start();
    },
  };
}
