import { randomUUID } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import type { ClusterTables } from './migrations.js';

/**
 * Messages for the holder of a lease (#19): a replica without a bot leaves what the bot must send
 * here, and the bot's owner takes it (now, told over the bus, or when it next acquires the lease),
 * so a message sent during a takeover is not lost. Each message is taken once: it is deleted before
 * it is handed over (at most once).
 */
export interface Outbox {
  push(lease: string, payload: unknown): Promise<void>;
  /** Takes the lease's messages oldest first (called by its holder); returns how many. */
  drain(lease: string, handle: (payload: unknown) => Promise<void>): Promise<number>;
}

/** Older messages are dropped unsent (a notice a day late helps no one). */
const MAX_AGE_MS = 24 * 3600_000;

export function createOutbox(options: { readonly storage: Storage; readonly now: () => number }): Outbox {
  const db = options.storage.db.withTables<ClusterTables>();
  return {
    async push(lease, payload) {
      await db
        .insertInto('cluster_outbox')
        .values({ id: randomUUID(), lease, payload: JSON.stringify(payload), created_at: options.now() })
        .execute();
    },
    async drain(lease, handle) {
      await db
        .deleteFrom('cluster_outbox')
        .where('created_at', '<', options.now() - MAX_AGE_MS)
        .execute();
      let taken = 0;
      for (;;) {
        const row = await db
          .selectFrom('cluster_outbox')
          .selectAll()
          .where('lease', '=', lease)
          .orderBy('created_at')
          .orderBy('id')
          .limit(1)
          .executeTakeFirst();
        if (!row) return taken;
        const gone = await db.deleteFrom('cluster_outbox').where('id', '=', row.id).executeTakeFirst();
        if (Number(gone.numDeletedRows) === 0) continue; // a concurrent drain took it
        taken++;
        await handle(JSON.parse(row.payload) as unknown);
      }
    },
  };
}
