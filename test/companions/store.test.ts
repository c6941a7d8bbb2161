import { afterEach, describe, expect, it } from 'vitest';
import { createConversationStore } from '../../src/companions/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

for (const kind of DATABASE_KINDS) {
  describe(`conversation store on ${kind} (DATA-4)`, () => {
    let ts: TestStorage | undefined;
    afterEach(async () => {
      await ts?.cleanup();
    });

    it('pages messages in write order and scopes every read to the owner', async () => {
      ts = await openTestStorage(kind);
      let t = 1_000;
      const store = createConversationStore({ storage: ts.storage, now: () => t });
      const c = await store.create({ userId: 'u1', familiarId: 'f1', channel: 'web' });
      for (let i = 0; i < 7; i++)
        await store.addMessage({
          conversationId: c.id,
          userId: 'u1',
          role: i % 2 ? 'assistant' : 'user',
          content: `m${i}`,
          status: 'complete',
        });
      t++;
      const last = await store.messages('u1', c.id, { limit: 3 });
      expect(last.map((m) => m.content)).toEqual(['m4', 'm5', 'm6']);
      const earlier = await store.messages('u1', c.id, { limit: 3, before: last[0]!.id });
      expect(earlier.map((m) => m.content)).toEqual(['m1', 'm2', 'm3']);
      expect(await store.get('u2', c.id)).toBeUndefined();
      expect(await store.messages('u2', c.id)).toEqual([]);
      expect(await store.remove('u2', c.id)).toBe(false);
      expect(await store.remove('u1', c.id)).toBe(true);
      expect(await store.messages('u1', c.id)).toEqual([]);
    });

    it("a new message moves its conversation to the top of its owner's list, and only that one", async () => {
      ts = await openTestStorage(kind);
      let t = 1_000;
      const store = createConversationStore({ storage: ts.storage, now: () => t });
      const older = await store.create({ userId: 'u1', familiarId: 'f1', channel: 'web' });
      t = 2_000;
      const newer = await store.create({ userId: 'u1', familiarId: 'f1', channel: 'web' });
      const someoneElses = await store.create({ userId: 'u2', familiarId: 'f1', channel: 'web' });
      expect((await store.list('u1')).map((c) => c.id)).toEqual([newer.id, older.id]);
      t = 3_000;
      await store.addMessage({ conversationId: older.id, userId: 'u1', role: 'user', content: 'back again', status: 'complete' });
      const listed = await store.list('u1');
      expect(listed.map((c) => c.id)).toEqual([older.id, newer.id]);
      expect(listed[0]!.updatedAt).toBe(3_000);
      expect(listed[1]!.updatedAt).toBe(2_000);
      expect((await store.get('u2', someoneElses.id))?.updatedAt).toBe(2_000);
    });

    it('finds or creates one conversation per channel key, even when two turns race', async () => {
      ts = await openTestStorage(kind);
      const store = createConversationStore({ storage: ts.storage });
      const input = { userId: 'u1', familiarId: 'f1', channel: 'telegram', key: 'telegram:chat:1' };
      const [a, b] = await Promise.all([store.byKey(input), store.byKey(input)]);
      expect(a.id).toBe(b.id);
    });
  });
}
