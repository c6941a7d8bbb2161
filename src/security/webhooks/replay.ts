import type { Redis } from 'ioredis';
import type { Storage } from '../../storage/index.js';

/** Remembers signatures already accepted; `claim` is atomic and false for a replay (HOOK-1). */
export interface ReplayCache {
  claim(id: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

type ReplayTables = { webhook_replays: { id: string; expires_at: number } };

/** Replay cache in the database (any number of replicas sharing one database). */
export function databaseReplayCache(storage: Storage, now: () => number = Date.now): ReplayCache {
  const db = storage.db.withTables<ReplayTables>();
  return {
    async claim(id, ttlMs) {
      const t = now();
      await db.deleteFrom('webhook_replays').where('expires_at', '<', t).execute();
      const res = await db
        .insertInto('webhook_replays')
        .values({ id, expires_at: t + ttlMs })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0n) === 1;
    },
    async close() {},
  };
}

/** Replay cache in Redis (SET NX PX), used when HEARTH_REDIS_URL is set. */
export function redisReplayCache(url: string, prefix = 'hearth:webhook:replay:'): ReplayCache {
  // ioredis loads with the first webhook, not at start.
  let redis: Promise<Redis> | undefined;
  const client = () =>
    (redis ??= import('ioredis').then(
      ({ Redis }) => new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true }),
    ));
  return {
    async claim(id, ttlMs) {
      const res = await (await client()).set(`${prefix}${id}`, '1', 'PX', ttlMs, 'NX');
      return res === 'OK';
    },
    async close() {
      if (redis) (await redis).disconnect();
    },
  };
}
