import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { createServer, type HearthApp, type ServerModule } from '../server/index.js';
import {
  createSettingsRepository,
  ensureDataDir,
  migrateToLatest,
  openStorage,
  type SettingsRepository,
  type Storage,
} from '../storage/index.js';
import { migrations } from './migrations.js';

/** The assembled application: every service built once, passed explicitly to what needs it. */
export interface Hearth {
  readonly config: Config;
  readonly logger: Logger;
  readonly storage: Storage;
  readonly settings: SettingsRepository;
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
  readonly pgSchema?: string;
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
  const closers: Array<() => Promise<void> | void> = [];
  try {
    if (options.migrate !== false) await migrateToLatest(storage, migrations);
    const now = options.now ?? Date.now;
    const settings = createSettingsRepository(storage.db, now);

    const modules: ServerModule[] = [];

    return {
      config,
      logger,
      storage,
      settings,
      createServer: () => createServer({ config, logger, modules }),
      async close() {
        for (const close of closers.reverse()) await close();
        await storage.close();
      },
    };
  } catch (err) {
    await storage.close();
    throw err;
  }
}
