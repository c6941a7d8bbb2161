import { sql } from 'kysely';
import type { Storage } from '../storage/index.js';
import { ClusterError } from './errors.js';
import type { Lease } from './lease.js';
import type { ClusterTables } from './migrations.js';

/**
 * Small values a lease holder keeps in the database for whoever holds the lease next (Telegram's
 * update offset, the Twitch pause). A write is fenced: it lands only while the writer's token is
 * still the lease's newest, so a cut-off former owner cannot overwrite its successor.
 */
export interface SharedState {
  get(scope: string, key: string): Promise<string | undefined>;
  /** Throws CLUSTER_FENCED when a newer holder of `lease` exists. */
  put(scope: string, key: string, value: string, lease: Pick<Lease, 'name' | 'token'>): Promise<void>;
}

/** One scope of the shared state as the holder of a lease sees it (what a channel adapter is handed). */
export interface LeasedState {
  load(key: string): Promise<string | undefined>;
  /**
   * Throws CLUSTER_FENCED when another replica holds the lease now. Any failed write gives the lease
   * up: the work stops and restarts (here or elsewhere) from what is stored.
   */
  save(key: string, value: string): Promise<void>;
}

export function createSharedState(options: { readonly storage: Storage; readonly now: () => number }): SharedState {
  const db = options.storage.db.withTables<ClusterTables>();
  return {
    async get(scope, key) {
      const row = await db.selectFrom('cluster_state').select('value').where('scope', '=', scope).where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async put(scope, key, value, lease) {
      const at = options.now();
      const res = await sql`
        INSERT INTO cluster_state (scope, key, value, updated_at)
        SELECT CAST(${scope} AS text), CAST(${key} AS text), CAST(${value} AS text), CAST(${at} AS bigint)
        WHERE EXISTS (SELECT 1 FROM cluster_leases WHERE name = ${lease.name} AND token = ${lease.token})
        ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`.execute(db);
      if (Number(res.numAffectedRows ?? 0) === 0)
        throw new ClusterError('CLUSTER_FENCED', `lease ${lease.name} has a newer holder than token ${lease.token}`);
    },
  };
}

/** `state` under `scope` for the holder of `lease`; a fenced write abandons the lease, so its work stops. */
export function leasedState(state: SharedState, scope: string, lease: Lease): LeasedState {
  return {
    load: (key) => state.get(scope, key),
    async save(key, value) {
      try {
        await state.put(scope, key, value, lease);
      } catch (err) {
        lease.abandon(
          (err as ClusterError).code === 'CLUSTER_FENCED' ? 'a newer holder exists (fenced write)' : 'state could not be saved',
        );
        throw err;
      }
    },
  };
}

/** The same, in memory only (a channels service built without a cluster: tests, tools). */
export function memoryState(): LeasedState {
  const values = new Map<string, string>();
  return {
    load: async (key) => values.get(key),
    save: async (key, value) => void values.set(key, value),
  };
}
