import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryRepository } from '../../src/memory/index.js';
import type { Embedder } from '../../src/memory/embeddings/types.js';
import type { MemoryTables } from '../../src/memory/tables.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

const embedder: Embedder = {
  model: 'test',
  embed: async (texts) => texts.map((t) => Float32Array.from([t.length, 1, 0.5, 0.25])),
};

describe.each(DATABASE_KINDS)("a conversation's indexed turns on %s (issue #15.1, DATA-5)", (kind) => {
  let ts: TestStorage | undefined;
  afterEach(async () => ts?.cleanup());

  it('#15.1 conversation deletion: removeConversation drops its rows, index entries, vectors and queue rows in the caller transaction only', async () => {
    ts = await openTestStorage(kind);
    const { storage } = ts;
    const repo = createMemoryRepository({ storage, embedder });
    const db = storage.db.withTables<MemoryTables>();
    const turn = (conversationId: string, messageId: string, text: string) =>
      repo.addTurn({ userId: 'u1', familiarId: 'f1', conversationId, messageId, role: 'user', text });
    await Promise.all([
      turn('convA', 'm1', 'gooseberry lagoon one'),
      turn('convA', 'm2', 'gooseberry lagoon two'),
      turn('convB', 'm3', 'gooseberry elsewhere'),
    ]);
    // A turn of another person with the same conversation id prefix is not theirs to lose.
    await repo.addTurn({ userId: 'u2', familiarId: 'f1', conversationId: 'convA', messageId: 'm4', role: 'user', text: 'gooseberry u2' });
    await repo.flush();
    const seqs = await db.selectFrom('memory_items').select(['seq', 'source_ref', 'user_id']).execute();
    for (const r of seqs) await repo.searchIndex.putVector(Number(r.seq), r.user_id, Float32Array.from([1, 0, 0, 0]));
    const seqsOfA = seqs.filter((r) => r.user_id === 'u1' && r.source_ref!.startsWith('convA:')).map((r) => Number(r.seq));
    expect(seqsOfA).toHaveLength(2);

    // A failure later in the same transaction rolls the removal back: the deletion can run again.
    await expect(
      storage.db.transaction().execute(async (tx) => {
        expect(await repo.removeConversation(tx.withTables<MemoryTables>(), 'u1', 'convA')).toBe(2);
        throw new Error('conversation delete failed');
      }),
    ).rejects.toThrow('conversation delete failed');
    // Searches fuse the lexical index with vectors (all alike here), so every row of u1 is a hit.
    const refs = async (userId: string) => (await repo.search({ userId, q: 'lagoon', kinds: ['turn'] })).map((m) => m.sourceRef).sort();
    expect(await refs('u1')).toEqual(['convA:m1', 'convA:m2', 'convB:m3']);

    const removed = await storage.db.transaction().execute((tx) => repo.removeConversation(tx.withTables<MemoryTables>(), 'u1', 'convA'));
    expect(removed).toBe(2);
    expect(await refs('u1')).toEqual(['convB:m3']);
    expect(await refs('u2')).toEqual(['convA:m4']);
    expect(await repo.list({ userId: 'u1', kinds: ['turn'] })).toHaveLength(1);
    expect(await db.selectFrom('memory_items').select('seq').where('seq', 'in', seqsOfA).execute()).toEqual([]);
    expect(await db.selectFrom('memory_vectors').select('seq').where('seq', 'in', seqsOfA).execute()).toEqual([]);
    expect(await db.selectFrom('memory_embed_queue').select('seq').where('seq', 'in', seqsOfA).execute()).toEqual([]);
    expect((await db.selectFrom('memory_vectors').select('seq').execute()).length).toBe(2);
  });
});
