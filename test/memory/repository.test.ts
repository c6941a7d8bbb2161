import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryRepository, type Embedder } from '../../src/memory/index.js';
import { startEmbeddingWorker } from '../../src/memory/embeddings/index.js';
import { createLogger } from '../../src/logging/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

/** A deterministic embedder: bag of hashed words, so related texts are near (a fake at the provider edge). */
const fakeEmbedder: Embedder = {
  model: 'fake',
  async embed(texts) {
    return texts.map((t) => {
      const v = new Float32Array(16);
      for (const w of t.toLowerCase().split(/\W+/).filter(Boolean)) v[[...w].reduce((a, c) => (a * 31 + c.charCodeAt(0)) % 16, 7)]! += 1;
      return v;
    });
  },
};

describe.each(DATABASE_KINDS)('memory repository on %s (MEM-2, DATA-4)', (kind) => {
  let t: TestStorage;
  beforeAll(async () => {
    t = await openTestStorage(kind);
  });
  afterAll(async () => t.cleanup());

  it('adds, gets, updates with history, searches lexically at once, deletes', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const m = await repo.add({
      userId: 'u1',
      familiarId: 'f1',
      text: 'Alice loves hiking in the Alps',
      provenance: 'person',
      metadata: { topic: 'hobby' },
    });
    await repo.add({ userId: 'u1', familiarId: 'f1', text: 'Alice works as a nurse', provenance: 'familiar', metadata: { topic: 'job' } });
    expect((await repo.get('u1', m.id))?.text).toBe('Alice loves hiking in the Alps');
    expect((await repo.search({ userId: 'u1', q: 'hikes alps' }))[0]?.id).toBe(m.id);
    expect(await repo.search({ userId: 'u1', q: 'hiking', metadata: { topic: 'job' } })).toEqual([]);
    expect(await repo.search({ userId: 'u1', q: 'nurse', metadata: { topic: 'job' } })).toHaveLength(1);
    expect(await repo.search({ userId: 'u1', q: 'hiking', familiarId: 'f2' })).toEqual([]);
    const u = await repo.update('u1', m.id, { text: 'Alice loves climbing' });
    expect(u?.version).toBe(2);
    expect(await repo.search({ userId: 'u1', q: 'hiking' })).toEqual([]);
    expect(await repo.search({ userId: 'u1', q: 'climbing' })).toHaveLength(1);
    const h = await repo.history('u1', m.id);
    expect(h?.map((v) => [v.version, v.text, v.change])).toEqual([
      [1, 'Alice loves hiking in the Alps', 'create'],
      [2, 'Alice loves climbing', 'update'],
    ]);
    expect(await repo.delete('u1', m.id)).toBe(true);
    expect(await repo.get('u1', m.id)).toBeUndefined();
    expect(await repo.history('u1', m.id)).toBeUndefined();
  });

  it("never reaches another person's memories by id or by search (DATA-4)", async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const theirs = await repo.add({ userId: 'bob', familiarId: 'f1', text: 'Bob secret password hint zebra', provenance: 'person' });
    expect(await repo.get('eve', theirs.id)).toBeUndefined();
    expect(await repo.update('eve', theirs.id, { text: 'hacked' })).toBeUndefined();
    expect(await repo.delete('eve', theirs.id)).toBe(false);
    expect(await repo.history('eve', theirs.id)).toBeUndefined();
    expect(await repo.search({ userId: 'eve', q: 'zebra secret' })).toEqual([]);
    expect((await repo.get('bob', theirs.id))?.text).toBe('Bob secret password hint zebra');
  });

  it('rejects bad input with MEMORY_INVALID and writes nothing', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const bad = [{ text: '' }, { text: 'x'.repeat(10_001) }, { text: 'ok', metadata: { 'bad key': 1 } }];
    for (const b of bad) {
      await expect(
        repo.addMany([
          { userId: 'v', familiarId: 'f', text: 'fine', provenance: 'person' },
          { userId: 'v', familiarId: 'f', provenance: 'person', ...b },
        ]),
      ).rejects.toMatchObject({ code: 'MEMORY_INVALID' });
    }
    expect(await repo.list({ userId: 'v' })).toEqual([]);
  });

  it('embeds in the background and fuses vectors with BM25; erases a person completely', async () => {
    const repo = createMemoryRepository({ storage: t.storage, embedder: fakeEmbedder });
    const m = await repo.add({ userId: 'w', familiarId: 'f1', text: 'the cat sat on the mat', provenance: 'person' });
    await repo.add({ userId: 'w', familiarId: 'f1', text: 'dogs bark loudly', provenance: 'person' });
    const worker = startEmbeddingWorker({
      storage: t.storage,
      index: repo.searchIndex,
      embedder: fakeEmbedder,
      logger: createLogger({ level: 'silent' }),
      intervalMs: 60_000,
    });
    expect(await worker.drain()).toBe(2);
    await worker.stop();
    const near = await repo.searchIndex.nearest({ userId: 'w' }, (await fakeEmbedder.embed(['cat mat']))[0]!, 5);
    expect(near[0]?.seq).toBeDefined();
    expect((await repo.search({ userId: 'w', q: 'cat' }))[0]?.id).toBe(m.id);
    expect(await repo.eraseUser('w')).toBe(2);
    expect(await repo.searchIndex.nearest({ userId: 'w' }, (await fakeEmbedder.embed(['cat mat']))[0]!, 5)).toEqual([]);
    expect(await repo.search({ userId: 'w', q: 'cat' })).toEqual([]);
  });

  it('indexes turns behind the caller: the next read sees them with neighbour context, and an erasure right after leaves nothing (MEM-2, DATA-5)', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const turn = (conversationId: string, messageId: string, role: 'user' | 'assistant', text: string) =>
      repo.addTurn({ userId: 'talker', familiarId: 'f1', conversationId, messageId, role, text });
    // Not awaited, as the turn does it: the reads below must still see every one of them.
    const written = [
      turn('c1', '0001', 'user', 'Where did you grow up?'),
      turn('c2', '0001', 'user', 'What is your favourite colour?'),
      turn('c1', '0002', 'assistant', 'In a lighthouse near Brest.'),
      turn('c2', '0002', 'assistant', 'Teal, like the sea.'),
    ];
    const turns = await repo.list({ userId: 'talker', kinds: ['turn'] });
    expect(turns.map((m) => m.text).sort()).toEqual([
      'In a lighthouse near Brest.',
      'Teal, like the sea.',
      'What is your favourite colour?',
      'Where did you grow up?',
    ]);
    // The answer is found by the words of its question (neighbour context), within its own conversation only.
    const hits = await repo.search({ userId: 'talker', q: 'grow up', kinds: ['turn'] });
    expect(hits.map((m) => m.text)).toEqual(['Where did you grow up?', 'In a lighthouse near Brest.']);
    await Promise.all(written);
    // A turn the store would refuse as it is (NUL, blank) never costs the batch its other turns.
    await Promise.all([
      turn('c3', '0001', 'user', 'nul\0 inside'),
      turn('c3', '0002', 'assistant', '   '),
      turn('c3', '0003', 'user', 'still indexed'),
    ]);
    expect((await repo.list({ userId: 'talker', kinds: ['turn'] })).map((m) => m.text)).toEqual(
      expect.arrayContaining(['nul inside', 'still indexed']),
    );
    const late = turn('c1', '0003', 'user', 'A secret word: zanzibarite');
    expect(await repo.eraseUser('talker')).toBe(7);
    await late;
    expect(await repo.list({ userId: 'talker' })).toEqual([]);
    expect(await repo.search({ userId: 'talker', q: 'zanzibarite lighthouse teal' })).toEqual([]);
    const left = await t.storage.db
      .selectFrom('memory_items' as never)
      .select((eb) => eb.fn.countAll().as('n'))
      .where('user_id' as never, '=', 'talker' as never)
      .executeTakeFirstOrThrow();
    expect(Number((left as { n: number }).n)).toBe(0);
  });

  it('searches memories and past turns in one pass with a limit per kind, even when one kind outranks the other', async () => {
    for (const embedder of [undefined, fakeEmbedder]) {
      const repo = createMemoryRepository({ storage: t.storage, embedder });
      const userId = `kinds-${embedder ? 'hybrid' : 'lexical'}`;
      // Five memories say "sailing" twice; the one past turn says it once, in a longer text.
      await repo.addMany(
        Array.from({ length: 5 }, (_, i) => ({
          userId,
          familiarId: 'f1',
          text: `sailing sailing trip ${i}`,
          provenance: 'person' as const,
        })),
      );
      await repo.addTurn({
        userId,
        familiarId: 'f1',
        conversationId: 'c1',
        messageId: '0001',
        role: 'user',
        text: 'We talked about sailing and many other things that day',
      });
      await repo.add({ userId, familiarId: 'other-familiar', text: 'sailing sailing sailing elsewhere', provenance: 'person' });
      await repo.add({ userId: `${userId}-someone-else`, familiarId: 'f1', text: 'sailing sailing sailing', provenance: 'person' });
      const found = await repo.search({ userId, familiarId: 'f1', q: 'sailing', perKind: { memory: 2, turn: 1 } });
      expect(found.filter((m) => m.kind === 'memory')).toHaveLength(2);
      expect(found.filter((m) => m.kind === 'turn').map((m) => m.text)).toEqual(['We talked about sailing and many other things that day']);
      expect(found.every((m) => m.userId === userId && m.familiarId === 'f1')).toBe(true);
      // The same search with one limit in all is led by the memories alone.
      const overall = await repo.search({ userId, familiarId: 'f1', q: 'sailing', limit: 3 });
      expect(overall.map((m) => m.kind)).toEqual(['memory', 'memory', 'memory']);
    }
  });

  it('finds a rare word among thousands of common ones, and ranks the newest when every word is common', async () => {
    const repo = createMemoryRepository({ storage: t.storage });
    const entries = Array.from({ length: 4600 }, (_, i) => ({
      userId: 'chatty',
      familiarId: 'f1',
      text: `weather chatter number ${i}${i % 1000 === 7 ? ' and my ferret' : ''}`,
      provenance: 'person' as const,
    }));
    await repo.addMany(entries);
    // The ferret entries are old (numbers 7, 1007, 2007, ...): the rare word still finds every one.
    const rare = await repo.search({ userId: 'chatty', q: 'weather ferret', limit: 5 });
    expect(rare.map((m) => m.text).sort()).toEqual([
      'weather chatter number 1007 and my ferret',
      'weather chatter number 2007 and my ferret',
      'weather chatter number 3007 and my ferret',
      'weather chatter number 4007 and my ferret',
      'weather chatter number 7 and my ferret',
    ]);
    // The same with a limit per kind (as the turn searches): planned the same way, best of each kind.
    const perKind = await repo.search({ userId: 'chatty', q: 'weather ferret', perKind: { memory: 5, turn: 2 } });
    expect(perKind.map((m) => m.text).sort()).toEqual(rare.map((m) => m.text).sort());
    const common = await repo.search({ userId: 'chatty', q: 'weather chatter', limit: 10 });
    expect(common).toHaveLength(10);
    if (kind === 'sqlite') for (const m of common) expect(Number(/number (\d+)/.exec(m.text)?.[1])).toBeGreaterThanOrEqual(600);
  });
});
