import type { Logger } from '../../logging/index.js';
import type { Storage } from '../../storage/index.js';
import type { SearchIndex } from '../search-index.js';
import type { MemoryTables } from '../tables.js';
import type { Embedder } from './types.js';

export interface EmbeddingWorkerOptions {
  readonly storage: Storage;
  readonly index: SearchIndex;
  readonly embedder: Embedder;
  readonly logger: Logger;
  readonly batchSize?: number;
  readonly intervalMs?: number;
  readonly maxAttempts?: number;
}

export interface EmbeddingWorker {
  /** Embeds up to one batch from the queue; returns how many were embedded. */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Computes embeddings in the background from the queue, so a write never waits on a provider
 * (MEM-2). Failures are retried a few times, then dropped (the memory stays found lexically).
 */
export function startEmbeddingWorker(options: EmbeddingWorkerOptions): EmbeddingWorker {
  const db = options.storage.db.withTables<MemoryTables>();
  const batch = options.batchSize ?? 32;
  const maxAttempts = options.maxAttempts ?? 5;
  let running: Promise<number> | undefined;
  let stopped = false;
  const controller = new AbortController();

  async function drainOnce(): Promise<number> {
    const queued = await db
      .selectFrom('memory_embed_queue as q')
      .innerJoin('memory_items as m', 'm.seq', 'q.seq')
      .select(['q.seq as seq', 'q.user_id as user_id', 'm.text as text', 'q.attempts as attempts'])
      .where('q.attempts', '<', maxAttempts)
      .orderBy('q.enqueued_at')
      .limit(batch)
      .execute();
    if (queued.length === 0) return 0;
    let vectors: Float32Array[];
    try {
      vectors = await options.embedder.embed(
        queued.map((q) => q.text),
        controller.signal,
      );
    } catch (err) {
      options.logger.warn({ err: (err as Error).message, count: queued.length }, 'embedding batch failed; will retry');
      await db
        .updateTable('memory_embed_queue')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where(
          'seq',
          'in',
          queued.map((q) => q.seq),
        )
        .execute();
      return 0;
    }
    for (const [i, q] of queued.entries()) {
      // The memory may have been deleted meanwhile: only store a vector for a row that still exists.
      const still = await db.selectFrom('memory_items').select('seq').where('seq', '=', q.seq).executeTakeFirst();
      if (still) await options.index.putVector(Number(q.seq), q.user_id, vectors[i]!);
      await db.deleteFrom('memory_embed_queue').where('seq', '=', q.seq).execute();
    }
    return queued.length;
  }
  function drain(): Promise<number> {
    running ??= drainOnce().finally(() => {
      running = undefined;
    });
    return running;
  }
  const timer = setInterval(() => {
    if (!stopped) void drain().catch((err: unknown) => options.logger.error({ err }, 'embedding worker failed'));
  }, options.intervalMs ?? 2000);
  timer.unref();
  return {
    drain,
    async stop() {
      stopped = true;
      clearInterval(timer);
      controller.abort();
      await running?.catch(() => undefined);
    },
  };
}
