import { AsyncResource } from 'node:async_hooks';

/**
 * Group commit for the audit chain (#19). The chain is one sequence, so every append must read
 * the head and write it back under a lock; one transaction per entry made that lock the bottleneck
 * of every replica (50 turns in flight each held a pool connection while queued on the head row,
 * and two processes served fewer turns than one). Here a process keeps at most one append
 * transaction in flight: the entries recorded meanwhile wait and go into the next one together.
 * Each caller's promise settles when the transaction holding its entry has committed, so an
 * awaited `record` is as durable as before, and the chain, its MACs and its verification are
 * unchanged. A failed batch is retried entry by entry, so one bad entry fails alone.
 */
export interface Appender<T> {
  push(item: T): Promise<void>;
}

export function createAppender<T>(write: (items: readonly T[]) => Promise<void>, maxBatch: number): Appender<T> {
  // A batch serves many callers: it runs in the appender's own async context, not in that of
  // whichever caller happened to come first (per-request async state and CPU accounting).
  const scope = new AsyncResource('hearth.audit-appender');
  let pending: Array<{ item: T; resolve: () => void; reject: (err: unknown) => void }> = [];
  let running = false;

  async function drain(): Promise<void> {
    try {
      while (pending.length > 0) {
        const batch = pending.slice(0, maxBatch);
        pending = pending.slice(batch.length);
        try {
          await write(batch.map((p) => p.item));
          for (const p of batch) p.resolve();
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          for (const p of batch)
            await write([p.item]).then(
              () => p.resolve(),
              (e: unknown) => p.reject(e),
            );
        }
      }
    } finally {
      running = false;
    }
  }

  return {
    push(item) {
      const done = new Promise<void>((resolve, reject) => pending.push({ item, resolve, reject }));
      if (!running) {
        running = true;
        // Started on the next turn of the event loop: the entries of every turn that reaches its
        // audit step in this one join the first batch.
        scope.runInAsyncScope(() => setImmediate(() => void drain()));
      }
      return done;
    },
  };
}
