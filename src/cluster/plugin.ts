import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { definePlugin, type HearthPlugin, type Invalidator } from '../core/index.js';
import { createBus, type Bus } from './bus.js';
import { createLeases, type Leases } from './lease.js';
import { clusterMigrations } from './migrations.js';
import { createOutbox, type Outbox } from './outbox.js';
import { createSharedState, type SharedState } from './state.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Leases (one owner per bot connection), the cross-replica bus and fenced shared state (#19). */
    cluster: Cluster;
  }
}

export interface Cluster {
  /** This process's id on the bus and in the lease table: its replica id (or host-pid) and a random suffix, unique even for two Hearths in one process. */
  readonly replicaId: string;
  readonly leases: Leases;
  readonly bus: Bus;
  readonly state: SharedState;
  readonly outbox: Outbox;
}

/** Bus topic: drop cached state for `{ scope }` (a row changed, or the `invalidate` webhook was called). */
const INVALIDATE_TOPIC = 'invalidate';

export interface ClusterPluginOptions {
  /** How often a replica without a lease tries for it (default 5 s; tests shorten it). */
  readonly leaseRetryMs?: number;
  /** How often a lease holder checks its lock connection (default 5 s). */
  readonly leaseCheckMs?: number;
}

/**
 * The cluster concern: nothing to configure. On PostgreSQL, replicas coordinate through the
 * database (advisory locks, LISTEN/NOTIFY, triggers on cached tables); on SQLite everything is one
 * process's. Placed first, so every later plugin may use it.
 */
export function createClusterPlugin(options: ClusterPluginOptions = {}): HearthPlugin {
  return definePlugin({
    name: 'cluster',
    migrations: clusterMigrations,
    init(kernel) {
      const { storage, logger, now } = kernel;
      const base = (kernel as { readonly replica?: string }).replica ?? `${hostname()}-${process.pid}`;
      const replicaId = `${base}-${randomBytes(3).toString('hex')}`;
      const bus = createBus({ storage, logger, replicaId });
      const leases = createLeases({
        storage,
        logger,
        replicaId,
        now,
        ...(options.leaseRetryMs !== undefined ? { retryMs: options.leaseRetryMs } : {}),
        ...(options.leaseCheckMs !== undefined ? { checkMs: options.leaseCheckMs } : {}),
      });
      const cluster: Cluster = {
        replicaId,
        leases,
        bus,
        state: createSharedState({ storage, now }),
        outbox: createOutbox({ storage, now }),
      };
      // Called with every other invalidator (the `invalidate` webhook): tells the other replicas too.
      const broadcast: Invalidator = (scope) => bus.publish(INVALIDATE_TOPIC, scope === undefined ? {} : { scope });
      const local = async (scope: string | undefined) => {
        for (const invalidate of kernel.contributions('invalidators'))
          if (invalidate !== broadcast)
            await Promise.resolve(invalidate(scope)).catch((err: unknown) => logger.warn({ scope, err }, 'invalidator failed'));
      };
      bus.subscribe(INVALIDATE_TOPIC, async (data, from) => {
        if (from === replicaId) return; // this replica ran its own invalidators already
        const scope = (data as { scope?: unknown } | null)?.scope;
        await local(typeof scope === 'string' ? scope : undefined);
      });
      // Messages missed while the bus was down: every cache drops everything.
      bus.onReconnect(() => void local(undefined));
      return {
        services: { cluster },
        contributes: { invalidators: [broadcast] },
        start: () => bus.start(),
        async close() {
          await leases.close();
          await bus.close();
        },
      };
    },
  });
}

export const clusterPlugin = createClusterPlugin();
