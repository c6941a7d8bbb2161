import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createTermPlanner } from '../../src/memory/common-terms.js';

describe("high-frequency term cutoff for one person's lexical search (MEM-2)", () => {
  const open: BetterSqlite3.Database[] = [];
  afterEach(() => open.splice(0).forEach((db) => db.close()));
  function index(docs: string[]) {
    const db = new BetterSqlite3(':memory:');
    open.push(db);
    db.exec(
      `create virtual table memory_fts using fts5(body, context, tokenize = 'porter unicode61', content = '', contentless_delete = 1)`,
    );
    const insert = db.prepare('insert into memory_fts(rowid, body, context) values (?, ?, ?)');
    docs.forEach((d, i) => insert.run(i + 1, d, ''));
    return db;
  }
  // 60 entries say "weather"; "ferret" is in 2, "garden" in 8, "nothing" in none.
  const docs = Array.from({ length: 60 }, (_, i) => `weather today ${i < 2 ? 'ferret' : ''} ${i >= 2 && i < 10 ? 'garden' : ''}`);

  it('runs a cheap query as it is', () => {
    const planner = createTermPlanner(index(docs), { budget: 100, common: 50 });
    expect(planner.plan(['weather', 'ferret'])).toEqual({ match: '"weather" OR "ferret"', recentOnly: false });
  });

  it('drops the common terms and keeps the rare ones, rarest first, within the budget', () => {
    const planner = createTermPlanner(index(docs), { budget: 9, common: 20 });
    expect(planner.plan(['weather', 'garden', 'ferret', 'nothing'])).toEqual({ match: '"ferret"', recentOnly: false });
    const roomier = createTermPlanner(index(docs), { budget: 12, common: 20 });
    expect(roomier.plan(['weather', 'garden', 'ferret'])).toEqual({ match: '"ferret" OR "garden"', recentOnly: false });
  });

  it('ranks only the newest matches when every term is common', () => {
    const planner = createTermPlanner(index(docs), { budget: 10, common: 20 });
    expect(planner.plan(['weather', 'today'])).toEqual({ match: '"weather" OR "today"', recentOnly: true });
    expect(planner.recentMatches).toBe(10);
  });
});
