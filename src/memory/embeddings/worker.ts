import type { JobDefinition } from '../../jobs/index.js';
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
  /** Texts per provider request. */
  readonly batchSize?: number;
  /** How often an idle worker looks at the queue again. */
  readonly intervalMs?: number;
  readonly maxAttempts?: number;
  /** Aborts the batch in flight when the server stops (besides `stop()`). */
  readonly signal?: AbortSignal;
  /** The stored texts as plaintext (the repository's `openTexts`, when memory text is encrypted, DATA-2). */
  readonly openTexts?: (rows: ReadonlyArray<{ id: string; text: string }>) => Promise<string[]>;
}

export interface EmbeddingWorker {
  /** Embeds batch after batch until the queue is empty or a batch fails; returns how many were embedded. */
  drain(): Promise<number>;
  /** Memories waiting for a vector (for /metrics). */
  queueDepth(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Computes embeddings in the background from the queue, so a write never waits on a provider
 * (MEM-2). One batch is in flight at a time and the next starts as soon as it is stored: the
 * provider's own pace is the backpressure. Failures are retried a few times, then dropped (the
 * memory stays found lexically).
 */
export function startEmbeddingWorker(options: EmbeddingWorkerOptions): EmbeddingWorker {
  const worker = createEmbeddingWorker(options);
  const timer = setInterval(() => {
    void worker.drain().catch((err: unknown) => options.logger.error({ err }, 'embedding worker failed'));
  }, options.intervalMs ?? 2000);
  timer.unref();
  return {
    ...worker,
    async stop() {
      clearInterval(timer);
      await worker.stop();
    },
  };
}

/** The embedding work as a job (every 2 s, one replica at a time): the queue is a table, so a run is idempotent. */
export function embeddingJob(worker: EmbeddingWorker, intervalMs = 2000): JobDefinition {
  return { name: 'memory-embed', atStartMs: 0, everyMs: intervalMs, retries: 2, retryDelayMs: 2_000, run: () => worker.drain() };
}

/** The worker without a timer of its own: `drain` is what the job runs. */
export function createEmbeddingWorker(options: EmbeddingWorkerOptions): EmbeddingWorker {
  const db = options.storage.db.withTables<MemoryTables>();
  const batch = options.batchSize ?? 64;
  const maxAttempts = options.maxAttempts ?? 5;
  let running: Promise<number> | undefined;
  let stopped = false;
  const stopping = new AbortController();

  /** One provider request with a signal of its own: the SDK's listeners go with it, never onto a long-lived signal. */
  async function embed(texts: string[]): Promise<Float32Array[]> {
    const request = new AbortController();
    const abort = () => request.abort();
    stopping.signal.addEventListener('abort', abort, { once: true });
    options.signal?.addEventListener('abort', abort, { once: true });
    try {
      return await options.embedder.embed(texts, request.signal);
    } finally {
      stopping.signal.removeEventListener('abort', abort);
      options.signal?.removeEventListener('abort', abort);
    }
  }

  /** One batch; how many were embedded, or -1 when the batch failed. */
  async function embedBatch(): Promise<number> {
    const queued = await db
      .selectFrom('memory_embed_queue as q')
      .innerJoin('memory_items as m', 'm.seq', 'q.seq')
      .select(['q.seq as seq', 'q.user_id as user_id', 'm.id as id', 'm.text as text'])
      .where('q.attempts', '<', maxAttempts)
      .orderBy('q.enqueued_at')
      .orderBy('q.seq')
      .limit(batch)
      .execute();
    if (queued.length === 0) return 0;
    const seqs = queued.map((q) => q.seq);
    let vectors: Float32Array[];
    try {
      vectors = await embed(options.openTexts ? await options.openTexts(queued) : queued.map((q) => q.text));
    } catch (err) {
      options.logger.warn({ err: (err as Error).message, count: queued.length }, 'embedding batch failed; will retry');
      await db
        .updateTable('memory_embed_queue')
        .set((eb) => ({ attempts: eb('attempts', '+', 1) }))
        .where('seq', 'in', seqs)
        .execute();
      return -1;
    }
    // A memory may have been deleted meanwhile: only store vectors for rows that still exist.
    const existing = new Set(
      (await db.selectFrom('memory_items').select('seq').where('seq', 'in', seqs).execute()).map((r) => Number(r.seq)),
    );
    for (const [i, q] of queued.entries())
      if (existing.has(Number(q.seq))) await options.index.putVector(Number(q.seq), q.user_id, vectors[i]!);
    await db.deleteFrom('memory_embed_queue').where('seq', 'in', seqs).execute();
    return queued.length;
  }

  async function drainAll(): Promise<number> {
    let total = 0;
    while (!stopped) {
      const done = await embedBatch();
      if (done <= 0) break;
      total += done;
    }
    return total;
  }
  function drain(): Promise<number> {
    running ??= drainAll().finally(() => {
      running = undefined;
    });
    return running;
  }
  return {
    drain,
    async queueDepth() {
      const row = await db
        .selectFrom('memory_embed_queue')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('attempts', '<', maxAttempts)
        .executeTakeFirst();
      return Number(row?.n ?? 0);
    },
    async stop() {
      stopped = true;
      stopping.abort();
      await running?.catch(() => undefined);
    },
  };
}
