import { sql, type Kysely } from 'kysely';
import type { CoreTables } from './database.js';

/** Instance-wide key/value settings (instance id, setup state, schema facts). */
export interface SettingsRepository {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<boolean>;
  list(prefix?: string): Promise<Array<{ key: string; value: string }>>;
}

export function createSettingsRepository(db: Kysely<CoreTables>, now: () => number = Date.now): SettingsRepository {
  return {
    async get(key) {
      const row = await db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst();
      return row?.value;
    },
    async set(key, value) {
      await db
        .insertInto('settings')
        .values({ key, value, updated_at: now() })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now() }))
        .execute();
    },
    async delete(key) {
      const res = await db.deleteFrom('settings').where('key', '=', key).executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    },
    async list(prefix) {
      let q = db.selectFrom('settings').select(['key', 'value']).orderBy('key');
      if (prefix) q = q.where(sql<string>`substr(key, 1, ${prefix.length})`, '=', prefix);
      return q.execute();
    },
  };
}
