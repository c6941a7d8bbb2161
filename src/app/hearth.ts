import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { createServer, type Authenticator, type HearthApp, type ServerModule } from '../server/index.js';
import {
  createSettingsRepository,
  ensureDataDir,
  migrateToLatest,
  openStorage,
  type SettingsRepository,
  type Storage,
} from '../storage/index.js';
import type { MemoryRetriever } from '../companions/index.js';
import { wireTools, type Approvals, type ToolProvider, type ToolsService } from '../tools/index.js';
import { migrations } from './migrations.js';
import { wireMemory, type MemoryService } from '../memory/index.js';
import type { PrivacyService } from '../privacy/index.js';
import { auditRoutes, createAuditLog, startAuditRetention, type AuditService } from '../security/audit/index.js';
import { createVault, dataKey, DATA_KEYS_COLUMN, resolveMasterKey, type HearthVault } from '../security/vault/index.js';
import { startTempSweeper } from '../files/index.js';
import {
  createWebhookService,
  databaseReplayCache,
  redisReplayCache,
  registerBuiltinWebhooks,
  webhookRoutes,
  type BuiltinCollaborators,
  type WebhookService,
} from '../security/webhooks/index.js';
import { wireIdentity, type IdentityService } from '../identity/index.js';
import type { HearthRateLimiter } from '../security/ratelimit/index.js';
import { hasWebBuild, webAppRoutes } from '../webapp/index.js';
import { conversationRoutes, createConversationStore, createFamiliarService, createTurnRunner, familiarRoutes } from '../companions/index.js';
import type { ConversationStore, FamiliarService, TurnRunner } from '../companions/index.js';
import { createProviderService, modelResolver, PROVIDER_KEY_COLUMN, providerRoutes, type ProviderService } from '../providers/index.js';
import { openaiRoutes } from '../channels/openai/index.js';
import { createInjectionScreen } from '../security/screen/index.js';
import { channelRoutes, createChannelsService, personCommandsOver, type ChannelsService } from '../channels/index.js';

/**
 * The assembled application: every service built once here and passed explicitly to what needs
 * it. Each concern adds its services to this interface and wires itself in createHearth below,
 * in its own marked section.
 */
export interface Hearth {
  readonly config: Config;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly settings: SettingsRepository;
  /** Seals every stored credential (DATA-1); register sealed columns for `hearth keys rotate`. */
  readonly vault: HearthVault;
  /** The chained audit log (LOG-3): record every security event here. */
  readonly audit: AuditService;
  /** Signed inbound webhooks (HOOK-1): `handle(name, fn)`; secrets via `hearth webhooks add`. */
  readonly webhooks: WebhookService;
  /** Fill in `erasePerson`, `resolveExternalId`, push `invalidators` from later sections. */
  readonly webhookCollaborators: BuiltinCollaborators;
  /** People, roles, sessions, API keys, setup and invite links (AUTH-1..7). */
  readonly identity: IdentityService;
  /** Shell policy and per-familiar enablement, MCP servers (issue 8). */
  readonly tools: ToolsService;
  /** Pending shell approvals; channels offer bot buttons through onRequest (EXEC-1). */
  readonly approvals: Approvals;
  /** One limiter for HTTP and chat channels (HTTP-3): `consume(budget, key)`; `define` adds budgets. */
  readonly rateLimiter: HearthRateLimiter;
  /** The turn (DESIGN.md §1): every channel calls `turns.run(request, onEvent)`. */
  readonly turns: TurnRunner;
  /** Familiars: persona, model, tools, screen policy, who may chat. */
  readonly familiars: FamiliarService;
  /** Conversations and messages, always scoped to their owner. */
  readonly conversations: ConversationStore;
  /** Model providers (keys sealed in the vault) and their clients, also for embeddings. */
  readonly providers: ProviderService;
  /** Long-term memories, notes, the turn's retriever (MEM-1..3). */
  readonly memory: MemoryService;
  /** Export and erasure of a person (DATA-5). */
  readonly privacy: PrivacyService;
  /** Telegram, Discord, Twitch: settings, identity links, pairing (CH-2..CH-4). */
  readonly channels: ChannelsService;
  // ── services added by concerns (identity, vault/audit, companions, memory, tools, channels) ──
  /** Builds the HTTP app over these services (tests build several). */
  createServer(): Promise<HearthApp>;
  /** Stops background work and closes the database. */
  close(): Promise<void>;
}

export interface CreateHearthOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** Skip migrations (the `migrate` command runs them itself). */
  readonly migrate?: boolean;
  readonly pgSchema?: string | undefined;
  readonly now?: () => number;
}

/** Composition root: opens storage, applies migrations, wires services and routes. */
export async function createHearth(options: CreateHearthOptions): Promise<Hearth> {
  const { config, logger } = options;
  const { tightened } = ensureDataDir(config.dataDir);
  if (tightened) logger.warn({ dataDir: config.dataDir }, 'data directory permissions were too open; tightened to 0700');
  const storage = await openStorage({
    dataDir: config.dataDir,
    databaseUrl: config.HEARTH_DATABASE_URL,
    pgSchema: options.pgSchema,
  });
  /** Run in reverse order on close: background jobs, connections. */
  const closers: Array<() => Promise<void> | void> = [];
  /** Route modules, registered in this order. */
  const modules: ServerModule[] = [];
  let authenticate: Authenticator | undefined;
  /** Filled by later sections (memory, tools); the turn reads them at run time. */
  const toolProviders: ToolProvider[] = [];
  const memoryRetrievers: MemoryRetriever[] = [];
  void toolProviders;
  void memoryRetrievers;
  try {
    if (options.migrate !== false) await migrateToLatest(storage, migrations);
    const now = options.now ?? Date.now;
    const settings = createSettingsRepository(storage.db, now);

    // ── vault, audit, files, webhooks, backup (issue 3) ──
    const vault: HearthVault = createVault({
      masterKey: resolveMasterKey({ config, logger }),
      previousMasterKey: config.previousMasterKey,
    });
    vault.registerSealedColumn(DATA_KEYS_COLUMN);
    const audit: AuditService = createAuditLog({ storage, key: await dataKey(storage, vault, 'audit.chain', now), now });
    modules.push(auditRoutes({ audit }));
    closers.push(startAuditRetention({ audit, days: config.HEARTH_AUDIT_RETENTION_DAYS, logger, now }));
    closers.push(startTempSweeper(config.dataDir, { onSwept: (n) => logger.info({ removed: n }, 'removed stale temporary files') }));
    const webhookCollaborators: BuiltinCollaborators = { invalidators: [] };
    const replay = config.HEARTH_REDIS_URL ? redisReplayCache(config.HEARTH_REDIS_URL) : databaseReplayCache(storage, now);
    closers.push(() => replay.close());
    const webhooks = createWebhookService({ storage, vault, audit, replay, now });
    registerBuiltinWebhooks(webhooks, webhookCollaborators);
    modules.push(webhookRoutes({ webhooks, audit, maxBytes: config.HEARTH_WEBHOOK_MAX_BYTES, now }));

    // ── identity, access, HTTP armour (issue 9) ──
    const { identity, rateLimiter, authenticate: identityAuthenticator, modules: identityModules, close: closeIdentity } = wireIdentity({ config, storage, audit, logger, now });
    authenticate = identityAuthenticator;
    // Armour goes first so that headers, limits and metrics cover every module's routes.
    modules.unshift(...identityModules);
    closers.push(closeIdentity);

    // ── familiars, providers, the turn (issue 4) ──
    vault.registerSealedColumn(PROVIDER_KEY_COLUMN);
    const providers = createProviderService({ storage, vault, audit, now });
    const familiars = createFamiliarService({ storage, audit, now });
    const conversations = createConversationStore({ storage, now });
    const turns = createTurnRunner({
      familiars,
      conversations,
      modelFor: modelResolver(providers),
      audit,
      logger,
      rateLimiter,
      toolProviders,
      memoryRetrievers,
      screen: createInjectionScreen({ threshold: config.HEARTH_SCREEN_THRESHOLD }),
      limits: {
        maxRounds: config.HEARTH_TURN_MAX_TOOL_ROUNDS,
        toolTimeoutMs: config.HEARTH_TOOL_TIMEOUT_MS,
        tokenBudget: config.HEARTH_TURN_TOKEN_BUDGET,
        toolOutputMaxChars: config.HEARTH_TOOL_OUTPUT_MAX_CHARS,
      },
    });
    modules.push(providerRoutes(providers), familiarRoutes(familiars), conversationRoutes({ turns, conversations, familiars }), openaiRoutes({ turns, familiars }));

    // ── memory (issue 7) ──
    const wiredMemory = wireMemory({
      config, storage, audit, logger, now,
      familiarExists: async (id) => (await familiars.get(id)) !== undefined,
      userExists: async (id) => (await identity.findUserById(id)) !== undefined,
    });
    const { memory, privacy } = wiredMemory;
    modules.push(...wiredMemory.modules);
    toolProviders.push(wiredMemory.toolProvider);
    memoryRetrievers.push(wiredMemory.retriever);
    webhookCollaborators.erasePerson = wiredMemory.erasePerson;
    closers.push(() => wiredMemory.close());

    // ── tools: shell, MCP (issue 8) ──
    const wiredTools = await wireTools({ config, storage, vault, audit, logger, now });
    toolProviders.push(...wiredTools.providers);
    modules.push(...wiredTools.modules);
    closers.push(() => wiredTools.close());

    // ── channels (issue 6) ──
    const channelFamiliar = async () => {
      const wanted = config.HEARTH_CHANNEL_FAMILIAR;
      const found = wanted ? ((await familiars.bySlug(wanted)) ?? (await familiars.get(wanted))) : (await familiars.list())[0];
      if (!found) throw new Error('no familiar for chat channels (set HEARTH_CHANNEL_FAMILIAR)');
      return found.id;
    };
    const channels = createChannelsService({
      config, storage, vault, audit, limiter: rateLimiter, turns, logger, now,
      familiarId: channelFamiliar,
      personCommands: personCommandsOver(memory.repo, channelFamiliar),
    });
    // Adapters connect when a server is built (only `hearth start` builds one), so CLI commands never
    // poll Telegram beside the running server; failures are logged without tokens.
    let channelsStarted: Promise<void> | undefined;
    modules.push(channelRoutes(channels), () => {
      channelsStarted ??= channels.start().catch((err: unknown) => logger.error({ err: { name: err instanceof Error ? err.name : 'Error' } }, 'channels failed to start'));
    });
    webhookCollaborators.resolveExternalId = async (channel, externalId) => (await channels.identities.find(channel, externalId))?.userId;
    const eraseBeforeChannels = webhookCollaborators.erasePerson;
    webhookCollaborators.erasePerson = async (userId) => {
      const result = await eraseBeforeChannels?.(userId);
      await channels.identities.forgetPerson(userId);
      return result;
    };
    closers.push(async () => {
      await channelsStarted;
      await channels.stop();
    });

    // ── web app (issue 5) ──
    // Last, so its catch-all GET never shadows an API route; only when a build exists (prestart builds it).
    if (config.HEARTH_SERVE_WEB && hasWebBuild()) modules.push(webAppRoutes());
    else if (config.HEARTH_SERVE_WEB) logger.warn('web app not built (web/dist missing); run `npm run build:web`');

    return {
      config,
      logger,
      storage,
      settings,
      vault,
      audit,
      webhooks,
      webhookCollaborators,
      identity,
      tools: wiredTools.tools,
      approvals: wiredTools.approvals,
      rateLimiter,
      turns,
      familiars,
      memory,
      privacy,
      conversations,
      providers,
      channels,
      createServer: () => createServer({ config, logger, modules, ...(authenticate ? { authenticate } : {}) }),
      async close() {
        for (const close of closers.reverse()) await close();
        await storage.close();
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await Promise.resolve(close()).catch(() => undefined);
    await storage.close();
    throw err;
  }
}
