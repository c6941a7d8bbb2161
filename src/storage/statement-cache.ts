import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase } from 'kysely';

interface Entry {
  readonly statement: BetterSqlite3.Statement;
  /** When it was last handed out (a counter): the smallest goes first when the cache is full. */
  used: number;
}

/**
 * The database handle given to kysely's SQLite driver, which prepares every query anew. Preparing
 * costs more than running most of our queries, so statements are kept by SQL text (least recently
 * used first out). A statement still busy (an open iterator) is never handed out twice.
 *
 * A hit only stamps its entry (every query of every request comes through here, ~30 a chat
 * message): the Map is not reordered per hit; the least recently used is searched for only when
 * a new statement overflows the cache, which in steady state (far fewer distinct queries than
 * `capacity`) never happens.
 */
export function cachedStatements(sqlite: BetterSqlite3.Database, capacity = 256): SqliteDatabase {
  const cache = new Map<string, Entry>();
  let clock = 0;
  const evictOldest = () => {
    let oldest: string | undefined;
    let at = Infinity;
    for (const [text, entry] of cache)
      if (entry.used < at) {
        at = entry.used;
        oldest = text;
      }
    if (oldest !== undefined) cache.delete(oldest);
  };
  return {
    prepare(text: string) {
      const hit = cache.get(text);
      if (hit && !hit.statement.busy) {
        hit.used = ++clock;
        return hit.statement;
      }
      const statement = sqlite.prepare(text);
      if (!hit) {
        if (cache.size >= capacity) evictOldest();
        cache.set(text, { statement, used: ++clock });
      }
      return statement;
    },
    close() {
      cache.clear();
      sqlite.close();
    },
  };
}
