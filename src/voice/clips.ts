import { createHash, randomBytes } from 'node:crypto';
import type { Storage } from '../storage/index.js';
import type { VoiceTables } from './migrations.js';

interface Clip {
  readonly audio: Buffer;
  readonly contentType: string;
}

/** The row's key: the URL's id hashed, so a look at the table (or a backup) hands out no working URL. */
const keyOf = (id: string) => createHash('sha256').update(id).digest('base64url');

/**
 * Spoken replies waiting to be fetched (CH-5, DATA-3): each behind an unguessable id, for its own
 * person only, until it expires; at most `maxPerUser` per person (the oldest go first). Kept in the
 * database, so any replica serves a URL another one spoke; expired rows are swept on each write
 * and on a timer (plugin.ts). The audio is never logged.
 */
export function createClipStore(options: { storage: Storage; ttlMs: number; maxPerUser: number; now?: () => number }) {
  const db = options.storage.db.withTables<VoiceTables>();
  const now = options.now ?? Date.now;
  const store = {
    async put(userId: string, audio: Buffer, contentType: string): Promise<string> {
      const id = randomBytes(18).toString('base64url');
      const t = now();
      await db
        .insertInto('voice_clips')
        .values({ id_hash: keyOf(id), user_id: userId, content_type: contentType, audio, created_at: t, expires_at: t + options.ttlMs })
        .execute();
      // This person's oldest beyond the cap, then anyone's expired ones.
      const surplus = await db
        .selectFrom('voice_clips')
        .select('id_hash')
        .where('user_id', '=', userId)
        .orderBy('created_at', 'desc')
        .orderBy('id_hash')
        .limit(1000)
        .offset(options.maxPerUser)
        .execute();
      if (surplus.length)
        await db
          .deleteFrom('voice_clips')
          .where(
            'id_hash',
            'in',
            surplus.map((r) => r.id_hash),
          )
          .execute();
      await store.sweep();
      return id;
    },
    /** The clip, only for the person it was spoken for and before it expires; otherwise undefined (the same for an unknown id). */
    async get(userId: string, id: string): Promise<Clip | undefined> {
      const row = await db
        .selectFrom('voice_clips')
        .select(['audio', 'content_type'])
        .where('id_hash', '=', keyOf(id))
        .where('user_id', '=', userId)
        .where('expires_at', '>', now())
        .executeTakeFirst();
      return row ? { audio: Buffer.from(row.audio), contentType: row.content_type } : undefined;
    },
    /** The person's account is erased: their waiting clips go with it. */
    async erase(userId: string): Promise<number> {
      const r = await db.deleteFrom('voice_clips').where('user_id', '=', userId).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    /** Deletes the expired clips; how many went. */
    async sweep(): Promise<number> {
      const r = await db.deleteFrom('voice_clips').where('expires_at', '<=', now()).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
  return store;
}
export type ClipStore = ReturnType<typeof createClipStore>;
