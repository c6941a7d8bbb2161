import { join } from 'node:path';
import type { MemoryRetriever } from '../companions/index.js';
import { budgetGuard } from '../budgets/index.js';
import { AppError, definePlugin } from '../core/index.js';
import { createInjectionScreen } from '../security/screen/index.js';
import { createEmbeddingWorker, createOpenAIEmbedder, embeddingJob } from './embeddings/index.js';
import { createMemoryImporter, importEnvelope } from './import.js';
import { memoryMigrations } from './migrations.js';
import { createMemoryExtractor, extractionMigrations, proposalRoutes, type Exchange, type MemoryExtractor } from './extraction/index.js';
import { modelResolver } from '../providers/index.js';
import { createNotesStore, type NotesStore } from './notes/index.js';
import { memoryConversationData, memoryFamiliarData, memoryPersonData } from './person-data.js';
import { memoryEncryption } from './encryption.js';
import { encryptStoredMemories, type ConversionReport } from './encryption-convert.js';
import { createMemoryRepository } from './repository.js';
import { createMemoryRetriever } from './retriever.js';
import { recoverTurnIndex, turnRecoveryMigrations } from './turn-recovery.js';
import { memoryImportRoutes } from './routes/import.js';
import { memoryRoutes } from './routes/memories.js';
import { notesRoutes } from './routes/notes.js';
import { memoryToolProvider } from './tools.js';
import type { MemoryTables } from './tables.js';
import type { MemoryRepository } from './types.js';

interface MemoryService {
  readonly repo: MemoryRepository;
  readonly notes: NotesStore;
  readonly retriever: MemoryRetriever;
  /** Automatic memory from conversations (MEM-2); its worker runs on its own, `drain` runs it now (tests). */
  readonly extractor: MemoryExtractor;
  /** Embeds queued memories now (tests); the background worker does it on its own otherwise. */
  drainEmbeddings(): Promise<number>;
  /**
   * PostgreSQL with HEARTH_DATABASE_ENCRYPTION=on: seals what was stored in the clear, in
   * resumable batches (`hearth db encrypt`); undefined without column encryption.
   */
  readonly encryptStored?: (options?: {
    batchSize?: number;
    onBatch?: (done: ConversionReport) => void | Promise<void>;
  }) => Promise<ConversionReport>;
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
  migrations: [...memoryMigrations, ...extractionMigrations, ...turnRecoveryMigrations],
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
    // DATA-2: SQLite encrypts its whole file; PostgreSQL gets memory text sealed column by column.
    const encryption =
      config.HEARTH_DATABASE_ENCRYPTION === 'on' && storage.dialect === 'postgres'
        ? memoryEncryption({ storage, vault: kernel.vault })
        : undefined;
    const repo = createMemoryRepository({ storage, now, embedder, encryption });
    const notes = createNotesStore({ root: join(config.dataDir, 'notes'), audit });
    const worker = embedder
      ? createEmbeddingWorker({ storage, index: repo.searchIndex, embedder, logger, ...(encryption ? { openTexts: repo.openTexts } : {}) })
      : undefined;
    if (worker) kernel.jobs.define(embeddingJob(worker));
    // Turns a crash left out of the index: redone before the server starts, then every 10 minutes
    // (another replica may have died), one replica at a time.
    const recovery = { name: 'memory-index-turns', everyMs: 10 * 60_000, run: () => recoverTurnIndex({ storage, repo, logger, now }) };
    kernel.jobs.define(recovery);
    const embeddingQueue = {
      name: 'hearth_embedding_queue_depth',
      help: 'Memories waiting for their embedding vector',
      read: async () => (worker ? worker.queueDepth() : 0),
    };
    const conversations = kernel.service('conversations');
    const chatModel = modelResolver(kernel.service('providers'));
    const extractor = createMemoryExtractor({
      storage,
      repo,
      screen: createInjectionScreen({ threshold: config.HEARTH_SCREEN_THRESHOLD }),
      audit,
      logger,
      now,
      encryption,
      familiar: async (id) => {
        const f = await familiars.get(id);
        if (!f) return undefined;
        // Charged to the person (and the familiar) like a turn's model call; budgets start after memory, so looked up per call.
        const chat = async (userId: string) => {
          const model = await chatModel(f);
          const budgets = kernel.optional('budgets');
          return budgets ? budgetGuard(budgets, { userId, familiarId: f.id, channel: 'memory-extraction' }).model(model) : model;
        };
        return { mode: f.memoryExtraction, model: f.model, chat };
      },
      message: (userId, conversationId, messageId) => conversations.message(userId, conversationId, messageId),
    });
    // MEM-2: after every stored turn, the exchange is queued for automatic memory (per familiar: on, off, ask).
    const retriever = { ...createMemoryRetriever(repo), afterTurn: (exchange: Exchange) => extractor.enqueue(exchange) };
    const memory: MemoryService = {
      repo,
      notes,
      retriever,
      extractor,
      drainEmbeddings: async () => (worker ? worker.drain() : 0),
      ...(encryption
        ? { encryptStored: async (o = {}) => encryptStoredMemories({ storage, encryption, index: repo.searchIndex, ...o }) }
        : {}),
    };
    const identity = kernel.optional('identity');
    const importer = createMemoryImporter({
      repo,
      db: storage.db.withTables<MemoryTables>(),
      audit,
      screen: createInjectionScreen({ threshold: config.HEARTH_SCREEN_THRESHOLD }),
      personExists: async (id) => (identity ? (await identity.findUserById(id)) !== undefined : false),
      familiarPolicy: async (id) => (await familiars.get(id))?.injectionPolicy,
    });
    // HOOK-1: the signed memory-import webhook takes the same rows as the admin route.
    kernel.optional('webhooks')?.handle('memory-import', async (payload, ctx) => {
      const parsed = importEnvelope.safeParse(payload);
      if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'Expected {"rows": [...]} with 1 to 1000 rows');
      return { ...(await importer.run(parsed.data.rows, { actor: { type: 'system' }, source: 'webhook', requestId: ctx.requestId })) };
    });
    return {
      services: { memory },
      routes: [
        memoryRoutes({ repo, audit }),
        memoryImportRoutes(importer),
        proposalRoutes(extractor),
        notesRoutes({ notes, familiarExists: async (id) => (await familiars.get(id)) !== undefined }),
      ],
      contributes: {
        toolProviders: [memoryToolProvider({ repo, notes })],
        retrievers: [retriever],
        personData: [
          memoryPersonData(repo, notes),
          {
            part: 'memory proposals',
            export: async (userId) => ({ memoryProposals: await extractor.proposals(userId) }),
            erase: async (userId) => ({ memory_proposals: await extractor.erasePerson(userId) }),
            reassign: async (from, to) => ({ memory_proposals: await extractor.reassignPerson(from, to) }),
          },
        ],
        conversationData: [memoryConversationData(repo)],
        familiarData: [memoryFamiliarData(repo, notes)],
        gauges: [embeddingQueue],
        // A vector re-embedded in place (another replica's worker) keeps its seq, which the cache's stamp cannot see.
        invalidators: [(scope) => (scope === undefined || scope === 'vectors' ? repo.searchIndex.dropCaches() : undefined)],
      },
      async start() {
        await recovery.run().catch((err: unknown) => logger.error({ err }, 'recovering the memory index failed; the job retries'));
      },
      async close() {
        await repo.flush();
        await worker?.stop();
        await extractor.stop();
      },
    };
  },
});
