import { getEventListeners } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRepository, type Embedder } from '../../src/memory/index.js';
import { createOpenAIEmbedder, startEmbeddingWorker } from '../../src/memory/embeddings/index.js';
import { createLogger } from '../../src/logging/index.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';
import { startTestHearth } from '../support/hearth.js';

const logger = createLogger({ level: 'silent' });
const memories = (userId: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({
    userId,
    familiarId: 'f1',
    text: `memory number ${i} about the sea`,
    provenance: 'person' as const,
  }));

describe.each(DATABASE_KINDS)('#21 embeddings keep up, on %s (MEM-2)', (kind) => {
  let t: TestStorage;
  let fake: FakeOpenAI;
  beforeAll(async () => {
    t = await openTestStorage(kind);
    fake = await startFakeOpenAI({ record: false });
  });
  afterAll(async () => {
    await fake.close();
    await t.cleanup();
  });

  it('#21 embeddings: one drain embeds the whole queue batch after batch, not one batch per tick', async () => {
    const embedder = createOpenAIEmbedder({ baseURL: fake.url, model: 'embed', dimensions: 8 });
    const repo = createMemoryRepository({ storage: t.storage, embedder });
    await repo.addMany(memories('sailor', 300));
    // The interval never fires during the test: everything below is one drain.
    const worker = startEmbeddingWorker({ storage: t.storage, index: repo.searchIndex, embedder, logger, intervalMs: 3_600_000 });
    try {
      expect(await worker.queueDepth()).toBe(300);
      expect(await worker.drain()).toBe(300);
      expect(await worker.queueDepth()).toBe(0);
      const near = await repo.searchIndex.nearest({ userId: 'sailor' }, (await embedder.embed(['memory number 1 about the sea']))[0]!, 10);
      expect(near).toHaveLength(10);
    } finally {
      await worker.stop();
    }
  });

  it('#21 embeddings: batches leave no listener behind on a long-lived abort signal', async () => {
    const real = createOpenAIEmbedder({ baseURL: fake.url, model: 'embed', dimensions: 8 });
    // The signals the provider client is handed: the SDK adds an abort listener to each per request.
    const seen: AbortSignal[] = [];
    const embedder: Embedder = {
      model: real.model,
      embed: (texts, signal) => {
        if (signal) seen.push(signal);
        return real.embed(texts, signal);
      },
    };
    const repo = createMemoryRepository({ storage: t.storage, embedder });
    await repo.addMany(memories('listener', 40));
    const shutdown = new AbortController();
    const worker = startEmbeddingWorker({
      storage: t.storage,
      index: repo.searchIndex,
      embedder,
      logger,
      intervalMs: 3_600_000,
      batchSize: 1,
      signal: shutdown.signal,
    });
    try {
      expect(await worker.drain()).toBe(40);
      expect(seen).toHaveLength(40);
      // No signal outlives its request with listeners piling up on it.
      expect(Math.max(...[...new Set(seen)].map((s) => getEventListeners(s, 'abort').length))).toBeLessThanOrEqual(1);
      expect(getEventListeners(shutdown.signal, 'abort')).toHaveLength(0);
    } finally {
      await worker.stop();
    }
  });
});

describe('#21 embeddings: the queue depth is on /metrics (HTTP-7)', () => {
  it('reports the memories waiting for a vector', async () => {
    const fake = await startFakeOpenAI({ record: false });
    const serviceKey = 'svc_'.padEnd(40, 'k');
    const t = await startTestHearth({
      env: { HEARTH_EMBEDDINGS_URL: fake.url, HEARTH_EMBEDDINGS_MODEL: 'embed', HEARTH_SERVICE_KEY: serviceKey },
    });
    try {
      await t.hearth.memory.repo.addMany(memories('gauge', 5));
      const scrape = async () => {
        const res = await t.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': serviceKey } });
        expect(res.statusCode).toBe(200);
        return /^hearth_embedding_queue_depth(?:\{[^}]*\})? (\d+)$/m.exec(res.body)?.[1];
      };
      expect(await scrape()).toBe('5');
      await t.hearth.memory.drainEmbeddings();
      expect(await scrape()).toBe('0');
    } finally {
      await t.close();
      await fake.close();
    }
  });
});
