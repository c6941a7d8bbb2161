import { join } from 'node:path';
import type { MemoryRetriever } from '../companions/contracts.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { createPrivacyService, privacyRoutes, startRetention, type PrivacyService } from '../privacy/index.js';
import type { AuditService } from '../security/audit/types.js';
import type { ServerModule } from '../server/index.js';
import type { Storage } from '../storage/index.js';
import type { ToolProvider } from '../tools/types.js';
import { createOpenAIEmbedder, startEmbeddingWorker } from './embeddings/index.js';
import { createNotesStore, type NotesStore } from './notes/index.js';
import { createMemoryRepository } from './repository.js';
import { createMemoryRetriever } from './retriever.js';
import { memoryRoutes } from './routes/memories.js';
import { notesRoutes } from './routes/notes.js';
import { memoryToolProvider } from './tools.js';
import type { MemoryRepository } from './types.js';

export interface MemoryService {
  readonly repo: MemoryRepository;
  readonly notes: NotesStore;
  readonly retriever: MemoryRetriever;
  /** Embeds queued memories now (tests); the background worker does it on its own otherwise. */
  drainEmbeddings(): Promise<number>;
}

export interface WireMemoryOptions {
  readonly config: Config;
  readonly storage: Storage;
  readonly audit: AuditService;
  readonly logger: Logger;
  readonly now: () => number;
  readonly familiarExists: (id: string) => Promise<boolean>;
  readonly userExists: (id: string) => Promise<boolean>;
}

/** Builds memory, notes and privacy for the composition root: services, routes, tools, retriever, closers. */
export function wireMemory(o: WireMemoryOptions) {
  const embedder = o.config.HEARTH_EMBEDDINGS_URL
    ? createOpenAIEmbedder({ baseURL: o.config.HEARTH_EMBEDDINGS_URL, apiKey: o.config.HEARTH_EMBEDDINGS_API_KEY, model: o.config.HEARTH_EMBEDDINGS_MODEL, dimensions: o.config.HEARTH_EMBEDDINGS_DIMENSIONS })
    : undefined;
  const repo = createMemoryRepository({ storage: o.storage, now: o.now, embedder });
  const notes = createNotesStore({ root: join(o.config.dataDir, 'notes'), audit: o.audit });
  const worker = embedder ? startEmbeddingWorker({ storage: o.storage, index: repo.searchIndex, embedder, logger: o.logger }) : undefined;
  const retriever = createMemoryRetriever(repo);
  const privacy: PrivacyService = createPrivacyService({ storage: o.storage, memories: repo, notes, audit: o.audit, logger: o.logger, now: o.now });
  const stopRetention = startRetention({ privacy, days: o.config.HEARTH_RETENTION_DAYS, logger: o.logger });
  const memory: MemoryService = { repo, notes, retriever, drainEmbeddings: async () => (worker ? worker.drain() : 0) };
  const modules: ServerModule[] = [
    memoryRoutes({ repo, audit: o.audit }),
    notesRoutes({ notes, familiarExists: o.familiarExists }),
    privacyRoutes({ privacy, audit: o.audit, userExists: o.userExists }),
  ];
  const toolProvider: ToolProvider = memoryToolProvider({ repo, notes });
  return {
    memory,
    privacy,
    modules,
    toolProvider,
    retriever,
    erasePerson: (userId: string) => privacy.erase(userId, { type: 'system' }),
    async close() {
      stopRetention();
      await repo.flush();
      await worker?.stop();
    },
  };
}
