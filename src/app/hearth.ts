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
import type { ToolProvider } from '../tools/index.js';
import { migrations } from './migrations.js';

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

    // ── identity, access, HTTP armour (issue 9) ──

    // ── familiars, providers, the turn (issue 4) ──

    // ── memory (issue 7) ──

    // ── tools: shell, MCP (issue 8) ──

    // ── channels (issue 6) ──

    // ── web app (issue 5) ──

    return {
      config,
      logger,
      storage,
      settings,
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
