import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRepository, type NewMemory } from '../../src/memory/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

/**
 * Lexical ranking is BM25 on both databases (FTS5's own on SQLite, computed over the tsvector on
 * PostgreSQL): rare words count for more than common ones, per person, and short entries for more
 * than long ones with the same match.
 */
describe.each(DATABASE_KINDS)('lexical ranking on %s (MEM-2, DATA-4)', (kind) => {
  let t: TestStorage;
  beforeAll(async () => {
    t = await openTestStorage(kind);
  });
  afterAll(async () => t.cleanup());

  const note = (userId: string, text: string): NewMemory => ({ userId, familiarId: 'f1', text, provenance: 'person' });

  it('ranks an entry with a rare word above entries that repeat a common one (IDF)', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const rare = await repo.add(note('idf', 'Took a saxophone lesson on Tuesday'));
    await repo.addMany(Array.from({ length: 12 }, (_, i) => note('idf', `Coffee, more coffee and again coffee at breakfast number ${i}`)));
    const found = await repo.search({ userId: 'idf', q: 'coffee saxophone', limit: 5 });
    expect(found[0]?.id).toBe(rare.id);
    expect(found).toHaveLength(5);
  });

  it("counts how common a word is among the person's own entries only", async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const rare = await repo.add(note('mine', 'Bought a red kayak in spring'));
    await repo.addMany(Array.from({ length: 6 }, (_, i) => note('mine', `Walked the dog by the river, walk ${i}`)));
    // For someone else the rare word is everywhere: that must not make it common for 'mine'.
    await repo.addMany(Array.from({ length: 60 }, (_, i) => note('theirs', `kayak kayak kayak club meeting ${i}`)));
    const found = await repo.search({ userId: 'mine', q: 'kayak river', limit: 10 });
    expect(found[0]?.id).toBe(rare.id);
    expect(found.every((m) => m.userId === 'mine')).toBe(true);
    expect(found).toHaveLength(7);
  });

  it('ranks a short entry above a long one with the same single match (length normalization)', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const short = await repo.add(note('len', 'Allergic to penicillin'));
    const long = await repo.add(
      note('len', 'Mentioned penicillin once while describing grandmother garden tomatoes pumpkins roses sunflowers orchard apples pears'),
    );
    await repo.addMany(Array.from({ length: 8 }, (_, i) => note('len', `Unrelated filler about trains and stations ${i}`)));
    const found = await repo.search({ userId: 'len', q: 'penicillin', limit: 10 });
    expect(found.map((m) => m.id)).toEqual([short.id, long.id]);
  });

  it('indexes a large batch in one go: each entry is found by its own word, in its owner only', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const batch = Array.from({ length: 1500 }, (_, i) => note(i % 2 ? 'odd' : 'even', `entry marker${i} shared words here`));
    await repo.addMany(batch);
    for (const i of [0, 1, 2, 777, 1498, 1499]) {
      const owner = i % 2 ? 'odd' : 'even';
      const found = await repo.search({ userId: owner, q: `marker${i}`, limit: 10 });
      expect(found.map((m) => m.text)).toEqual([`entry marker${i} shared words here`]);
      expect(await repo.search({ userId: i % 2 ? 'even' : 'odd', q: `marker${i}`, limit: 10 })).toEqual([]);
    }
  });

  it('returns nothing for a query of stop words only or with no match, and honours a limit per kind', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    await repo.addMany([note('kinds', 'Plays the cello on weekends'), note('kinds', 'The cello is old')]);
    expect(await repo.search({ userId: 'kinds', q: 'the and of' })).toEqual([]);
    expect(await repo.search({ userId: 'kinds', q: 'violin' })).toEqual([]);
    expect(await repo.search({ userId: 'kinds', q: 'cello', perKind: { memory: 1 } })).toHaveLength(1);
    expect(await repo.search({ userId: 'kinds', q: 'cello', perKind: { turn: 3 } })).toEqual([]);
  });
});
