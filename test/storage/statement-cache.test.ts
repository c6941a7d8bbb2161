import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cachedStatements } from '../../src/storage/statement-cache.js';

describe('SQLite statement cache behind kysely', () => {
  const open: BetterSqlite3.Database[] = [];
  afterEach(() => {
    for (const db of open.splice(0)) if (db.open) db.close();
  });
  function handle(capacity?: number) {
    const sqlite = new BetterSqlite3(':memory:');
    open.push(sqlite);
    sqlite.exec('create table t (n integer); insert into t values (1), (2), (3)');
    return { sqlite, cached: cachedStatements(sqlite, capacity) };
  }

  it('reuses a prepared statement for the same SQL and keeps at most `capacity`', () => {
    const { cached } = handle(2);
    const a = cached.prepare('select n from t where n = ?');
    expect(cached.prepare('select n from t where n = ?')).toBe(a);
    cached.prepare('select 1');
    cached.prepare('select 2'); // evicts the least recently used: the first query
    expect(cached.prepare('select n from t where n = ?')).not.toBe(a);
  });

  it('never hands out a statement that is still iterating, so nested use of the same SQL works', () => {
    const { cached } = handle();
    const text = 'select n from t order by n';
    const outer = cached.prepare(text) as unknown as BetterSqlite3.Statement;
    const seen: number[] = [];
    for (const row of outer.iterate() as Iterable<{ n: number }>) {
      const inner = cached.prepare(text) as unknown as BetterSqlite3.Statement;
      expect(inner).not.toBe(outer);
      seen.push(row.n, (inner.all() as Array<{ n: number }>).length);
    }
    expect(seen).toEqual([1, 3, 2, 3, 3, 3]);
  });

  it('closes the database with the cache', () => {
    const { sqlite, cached } = handle();
    cached.prepare('select 1');
    cached.close();
    expect(sqlite.open).toBe(false);
  });
});
