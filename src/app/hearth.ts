import { registerDataDirUser } from '../backup/index.js';
import type { Config } from '../config/index.js';
import { HearthError, type HearthApp, type HearthPlugin, type Kernel, type Migration, type Services } from '../core/index.js';
import { createJobRunner, resolveReplicaId } from '../jobs/index.js';
import type { Logger } from '../logging/index.js';
import { auditMigrations, createAuditLog } from '../security/audit/index.js';
import { createRateLimiter } from '../security/ratelimit/index.js';
import { createVault, dataKey, DATA_KEYS_COLUMN, resolveMasterKey, vaultMigrations } from '../security/vault/index.js';
import {
  coreMigrations,
  createSettingsRepository,
  ensureDataDir,
  migrateToLatest,
  migrationStatus,
  openStorage,
} from '../storage/index.js';
import { loadPlugins, pluginBudgets } from './kernel.js';
import { storageOptions } from './storage-options.js';

/** The assembled application: the kernel, every plugin's services by name, the server factory. */
export type Hearth = Omit<Kernel, 'limiter'> & {
  /** The kernel's limiter (HTTP-3), under the name the CLI and tests use. */
  readonly rateLimiter: Kernel['limiter'];
  /** Builds the HTTP app over these services (tests build several); the first one starts the plugins (bots). */
  createServer(): Promise<HearthApp>;
  /** Stops background work in reverse plugin order and closes the database. */
  close(): Promise<void>;
} & { readonly [K in keyof Services]: Services[K] };

export interface CreateHearthOptions {
  readonly config: Config;
  readonly logger: Logger;
  /**
   * false: skip migrations (the `migrate` command runs them itself). 'verify': apply none, and fail
   * with HEARTH_NOT_MIGRATED when one of the kernel's or these plugins' is pending (a command that
   * opens Hearth with a few plugins cannot apply theirs alone: migrations apply in name order).
   */
  readonly migrate?: boolean | 'verify';
  readonly pgSchema?: string | undefined;
  readonly now?: () => number;
  /** This process's replica id (default HEARTH_REPLICA_ID, else host-pid). */
  readonly replica?: string;
  /** How often idle pg-boss workers poll (tests shorten it). */
  readonly jobPollingIntervalMs?: number;
  /** The concerns, in order; HEARTH_PLUGINS (loaded only then) unless a test, tool or command gives its own. */
  readonly plugins?: readonly HearthPlugin[];
}

/** The kernel's own tables (core, vault data keys, audit) and these plugins', in application order. */
export function migrationsFor(plugins: readonly HearthPlugin[]): readonly Migration[] {
  return [...coreMigrations, ...vaultMigrations, ...auditMigrations, ...plugins.flatMap((p) => p.migrations ?? [])].sort((a, b) =>
    a.name.localeCompare(b.name),
  );
}

/** Composition root: opens storage, migrates, builds the kernel, runs the plugin loop. */
export async function createHearth(options: CreateHearthOptions): Promise<Hearth> {
  const { config, logger } = options;
  // Imported here, so a command that names its plugins never loads every concern.
  const plugins = options.plugins ?? (await import('./plugins.js')).HEARTH_PLUGINS;
  const now = options.now ?? Date.now;
  const { tightened } = ensureDataDir(config.dataDir);
  if (tightened) logger.warn({ dataDir: config.dataDir }, 'data directory permissions were too open; tightened to 0700');
  // Registered while open, so `hearth restore` refuses to replace data under a running Hearth (DATA-6).
  const inUse = registerDataDirUser(config.dataDir);
  const storage = await openStorage(storageOptions(config, logger, { pgSchema: options.pgSchema })).catch((err: unknown) => {
    inUse.release();
    throw err;
  });
  let limiter: Kernel['limiter'] | undefined;
  try {
    if (options.migrate === 'verify') {
      const pending = (await migrationStatus(storage, migrationsFor(plugins))).filter((m) => !m.appliedAt);
      if (pending.length > 0) throw new HearthError('HEARTH_NOT_MIGRATED', `${pending.length} migrations are pending`);
    } else if (options.migrate !== false) await migrateToLatest(storage, migrationsFor(plugins));
    const vault = createVault({ masterKey: resolveMasterKey({ config, logger }), previousMasterKey: config.previousMasterKey });
    for (const column of [DATA_KEYS_COLUMN, ...plugins.flatMap((p) => p.sealedColumns ?? [])]) vault.registerSealedColumn(column);
    const audit = createAuditLog({ storage, key: await dataKey(storage, vault, 'audit.chain', now), vault, now });
    limiter = createRateLimiter({ budgets: pluginBudgets(plugins, config), logger, redisUrl: config.HEARTH_REDIS_URL });
    const settings = createSettingsRepository(storage.db, now);
    const replica = options.replica ?? resolveReplicaId(config.HEARTH_REPLICA_ID);
    const jobs = createJobRunner({
      storage,
      databaseUrl: config.HEARTH_DATABASE_URL,
      logger,
      ...(options.jobPollingIntervalMs ? { pollingIntervalMs: options.jobPollingIntervalMs } : {}),
    });
    const loaded = await loadPlugins(plugins, { config, logger, storage, settings, vault, audit, limiter, now, jobs, replica });
    const { kernel, routes, authenticator } = loaded;
    const rateLimiter = limiter;
    const hearth = {
      ...kernel,
      rateLimiter,
      async createServer() {
        const { createServer } = await import('../server/index.js');
        const app = await createServer({
          config,
          logger,
          limiter: rateLimiter,
          modules: routes,
          gauges: () => kernel.contributions('gauges'),
          replica,
          ...(authenticator ? { authenticate: authenticator } : {}),
        });
        await loaded.start();
        // Background work starts with the first server (never in one-shot CLI commands).
        await jobs.start();
        return app;
      },
      async close() {
        await jobs.stop();
        await loaded.close();
        await rateLimiter.close();
        await storage.close();
        inUse.release();
      },
    };
    // Each service by name (hearth.identity, hearth.memory, …) for the CLI and tests.
    return new Proxy(hearth, {
      get: (target, name, receiver) =>
        typeof name === 'string' && !(name in target) ? kernel.optional(name as keyof Services) : Reflect.get(target, name, receiver),
    }) as unknown as Hearth;
  } catch (err) {
    await limiter?.close().catch(() => undefined);
    await storage.close();
    inUse.release();
    throw err;
  }
}
