import { join } from 'node:path';
import type { MemoryRetriever } from '../companions/index.js';
import { definePlugin } from '../core/index.js';
import { createOpenAIEmbedder, startEmbeddingWorker } from './embeddings/index.js';
import { memoryMigrations } from './migrations.js';
import { createNotesStore, type NotesStore } from './notes/index.js';
import { memoryConversationData, memoryFamiliarData, memoryPersonData } from './person-data.js';
import { createMemoryRepository } from './repository.js';
import { createMemoryRetriever } from './retriever.js';
import { memoryRoutes } from './routes/memories.js';
import { notesRoutes } from './routes/notes.js';
import { memoryToolProvider } from './tools.js';
import type { MemoryRepository } from './types.js';

interface MemoryService {
  readonly repo: MemoryRepository;
  readonly notes: NotesStore;
  readonly retriever: MemoryRetriever;
  /** Embeds queued memories now (tests); the background worker does it on its own otherwise. */
  drainEmbeddings(): Promise<number>;
}

declare module '../core/plugin.js' {
  interface Services {
    /** Long-term memories, notes, the turn's retriever (MEM-1..3). */
    memory: MemoryService;
  }
}

/** Memories with hybrid search, per-familiar notes, their tools and the turn's retriever (MEM-1..3). */
export const memoryPlugin = definePlugin({
  name: 'memory',
  migrations: memoryMigrations,
  init(kernel) {
    const { config, storage, audit, logger, now } = kernel;
    const familiars = kernel.service('familiars');
    const embedder = config.HEARTH_EMBEDDINGS_URL
      ? createOpenAIEmbedder({
          baseURL: config.HEARTH_EMBEDDINGS_URL,
          apiKey: config.HEARTH_EMBEDDINGS_API_KEY,
          model: config.HEARTH_EMBEDDINGS_MODEL,
          dimensions: config.HEARTH_EMBEDDINGS_DIMENSIONS,
        })
      : undefined;
    const repo = createMemoryRepository({ storage, now, embedder });
    const notes = createNotesStore({ root: join(config.dataDir, 'notes'), audit });
    const worker = embedder ? startEmbeddingWorker({ storage, index: repo.searchIndex, embedder, logger }) : undefined;
    const embeddingQueue = {
      name: 'hearth_embedding_queue_depth',
      help: 'Memories waiting for their embedding vector',
      read: async () => (worker ? worker.queueDepth() : 0),
    };
    const retriever = createMemoryRetriever(repo);
    const memory: MemoryService = { repo, notes, retriever, drainEmbeddings: async () => (worker ? worker.drain() : 0) };
    return {
      services: { memory },
      routes: [
        memoryRoutes({ repo, audit }),
        notesRoutes({ notes, familiarExists: async (id) => (await familiars.get(id)) !== undefined }),
      ],
      contributes: {
        toolProviders: [memoryToolProvider({ repo, notes })],
        retrievers: [retriever],
        personData: [memoryPersonData(repo, notes)],
        conversationData: [memoryConversationData(repo)],
        familiarData: [memoryFamiliarData(repo, notes)],
        gauges: [embeddingQueue],
      },
      async close() {
        await repo.flush();
        await worker?.stop();
      },
    };
  },
});
