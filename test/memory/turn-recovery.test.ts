import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recoverTurnIndex } from '../../src/memory/turn-recovery.js';
import { startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { DATABASE_KINDS } from '../support/databases.js';

describe.each(DATABASE_KINDS)('MEM-1 turn index recovery on %s', (db) => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld({ db });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('indexes stored replies that have no index entry, with their question; running again or racing the live path adds nothing', async () => {
    const h = w.t.hearth;
    const conversation = await h.conversations.create({ userId: w.alice.id, familiarId: w.familiarId, channel: 'web' });
    // As a crash leaves it: both messages stored, the index batch lost.
    const asked = await h.conversations.addMessage({
      conversationId: conversation.id,
      userId: w.alice.id,
      role: 'user',
      content: 'Where did I park the zeppelin?',
      status: 'complete',
    });
    const reply = await h.conversations.addMessage({
      conversationId: conversation.id,
      userId: w.alice.id,
      role: 'assistant',
      content: 'On the roof of the greenhouse.',
      status: 'complete',
    });
    // A reply cut short is not a turn the person was given: never indexed.
    await h.conversations.addMessage({
      conversationId: conversation.id,
      userId: w.alice.id,
      role: 'assistant',
      content: 'zeppelin half',
      status: 'stopped',
    });
    const search = () => h.memory.repo.search({ userId: w.alice.id, q: 'zeppelin greenhouse', kinds: ['turn'], limit: 20 });
    expect(await search()).toEqual([]);

    const deps = { storage: h.storage, repo: h.memory.repo, logger: w.t.logger, now: Date.now };
    expect(await recoverTurnIndex(deps)).toBe(1);
    const refs = (await search()).map((m) => m.sourceRef).sort();
    expect(refs).toEqual([`${conversation.id}:${asked.id}`, `${conversation.id}:${reply.id}`].sort());

    // Idempotent: a second run (another replica, a retry) and the live path indexing the same turn add nothing.
    expect(await recoverTurnIndex(deps)).toBe(0);
    await h.memory.repo.addTurn({
      userId: w.alice.id,
      familiarId: w.familiarId,
      conversationId: conversation.id,
      messageId: reply.id,
      role: 'assistant',
      text: reply.content,
    });
    await Promise.all([
      recoverTurnIndex(deps),
      h.memory.repo.addTurn({
        userId: w.alice.id,
        familiarId: w.familiarId,
        conversationId: conversation.id,
        messageId: asked.id,
        role: 'user',
        text: asked.content,
      }),
    ]);
    expect((await search()).map((m) => m.sourceRef).sort()).toEqual(refs);
  });

  it('the next turn after a redone one is indexed as usual (newer turns are never taken for duplicates)', async () => {
    const h = w.t.hearth;
    const conversation = await h.conversations.create({ userId: w.alice.id, familiarId: w.familiarId, channel: 'web' });
    const turn = (messageId: string, role: 'user' | 'assistant', text: string) =>
      h.memory.repo.addTurn({ userId: w.alice.id, familiarId: w.familiarId, conversationId: conversation.id, messageId, role, text });
    const a = await h.conversations.addMessage({
      conversationId: conversation.id,
      userId: w.alice.id,
      role: 'user',
      content: 'first walrus question',
      status: 'complete',
    });
    const b = await h.conversations.addMessage({
      conversationId: conversation.id,
      userId: w.alice.id,
      role: 'assistant',
      content: 'first walrus answer',
      status: 'complete',
    });
    await recoverTurnIndex({ storage: h.storage, repo: h.memory.repo, logger: w.t.logger, now: Date.now });
    const c = await h.conversations.addMessage({
      conversationId: conversation.id,
      userId: w.alice.id,
      role: 'user',
      content: 'second walrus question',
      status: 'complete',
    });
    await Promise.all([turn(a.id, 'user', a.content), turn(c.id, 'user', c.content)]);
    const hits = await h.memory.repo.search({ userId: w.alice.id, q: 'walrus', kinds: ['turn'], limit: 20 });
    expect(hits.map((m) => m.sourceRef).sort()).toEqual([a, b, c].map((m) => `${conversation.id}:${m.id}`).sort());
  });
});
