import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

/**
 * The database handle given to kysely's SQLite driver, which prepares every query anew. Preparing
 * costs more than running most of our queries, so statements are kept by SQL text (least recently
 * used first out). A statement still busy (an open iterator) is never handed out twice.
 */
export function cachedStatements(sqlite: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit && !hit.busy) {
        cache.delete(text);
        cache.set(text, hit);
        return hit;
      }
      const statement = sqlite.prepare(text);
      if (!hit) {
        cache.set(text, statement);
        if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}
