import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startChatWorld, type ChatWorld } from './helpers.js';

describe('deleting a familiar: what happens to its data (issue #15.4, DATA-5)', () => {
  let w: ChatWorld;
  let n = 0;
  beforeAll(async () => {
    w = await startChatWorld();
  });
  afterAll(async () => w.close());

  const admin = () => w.auth(w.admin.key);
  /** A familiar alice chatted with (conversation, messages, indexed turns), with a memory, notes and the shell on. */
  async function familiarWithData(word: string) {
    const f = await w.t.app.inject({
      method: 'POST',
      url: '/api/familiars',
      headers: admin(),
      payload: { slug: `fam-${++n}`, name: `Fam ${n}`, persona: 'A companion.', providerId: w.providerId, model: 'fake-model' },
    });
    const familiarId = (f.json() as { id: string }).id;
    const c = await w.t.app.inject({ method: 'POST', url: '/api/conversations', headers: w.auth(w.alice.key), payload: { familiarId } });
    const conversationId = (c.json() as { id: string }).id;
    w.fake.script.push({ text: `Lovely, ${word}.` });
    const turn = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conversationId}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text: `my word is ${word}` },
    });
    expect(turn.statusCode).toBe(200);
    await w.t.hearth.memory.repo.add({ userId: w.alice.id, familiarId, text: `alice memory ${word}`, provenance: 'person' });
    const by = { actor: { type: 'system' as const }, source: 'admin' as const };
    await w.t.hearth.memory.notes.write({ familiarId, userId: null }, 'lore/world.md', `shared ${word}`, by);
    await w.t.hearth.memory.notes.write({ familiarId, userId: w.alice.id }, 'alice.md', `about alice ${word}`, by);
    await w.t.hearth.tools.shellEnablement.enable(familiarId, w.admin.id);
    return { familiarId, conversationId };
  }
  const HELD = { conversations: 1, messages: 2, memories: 1, turns: 2, notes: 2, shellEnabled: 1 };

  it('#15.4 familiar deletion: without a choice a familiar with data is a 409 with the counts, and nothing is deleted', async () => {
    const { familiarId } = await familiarWithData('quillfinch');
    const counts = await w.t.app.inject({ url: `/api/familiars/${familiarId}/data`, headers: admin() });
    expect(counts.json()).toEqual({ counts: HELD });
    const res = await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${familiarId}`, headers: admin() });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CONFLICT', details: { counts: HELD } });
    expect(await w.t.hearth.familiars.get(familiarId)).toBeDefined();
    expect((await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${familiarId}?data=maybe`, headers: admin() })).statusCode).toBe(
      400,
    );
    expect(
      (await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${familiarId}?data=delete`, headers: w.auth(w.alice.key) }))
        .statusCode,
    ).toBe(403);
  });

  it('#15.4 familiar deletion: data=delete removes its conversations, messages, memories, index, notes folder and shell setting (audited)', async () => {
    const word = 'pelicanorbit';
    const { familiarId, conversationId } = await familiarWithData(word);
    const res = await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${familiarId}?data=delete`, headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted: true, data: 'delete', removed: HELD });
    expect(await w.t.hearth.familiars.get(familiarId)).toBeUndefined();
    expect(await w.t.hearth.conversations.get(w.alice.id, conversationId)).toBeUndefined();
    expect(await w.t.hearth.conversations.messages(w.alice.id, conversationId)).toEqual([]);
    expect(await w.t.hearth.memory.repo.search({ userId: w.alice.id, q: word, kinds: ['memory', 'turn'] })).toEqual([]);
    expect(await w.t.hearth.memory.repo.list({ userId: w.alice.id, familiarId })).toEqual([]);
    expect(existsSync(join(w.t.dataDir, 'notes', familiarId))).toBe(false);
    expect(await w.t.hearth.tools.shellEnablement.isEnabled(familiarId)).toBe(false);
    const exp = await w.t.app.inject({ url: `/api/users/${w.alice.id}/export`, headers: w.auth(w.alice.key) });
    expect(exp.body).not.toContain(word);
    const [entry] = await w.t.hearth.audit.list({ action: 'familiar.delete', target: familiarId });
    expect(entry).toMatchObject({ outcome: 'success', details: { data: 'delete', removed: HELD } });
  });

  it('#15.4 familiar deletion: data=keep deletes only the familiar and says what it left (audited)', async () => {
    const word = 'otterlantern';
    const { familiarId, conversationId } = await familiarWithData(word);
    const res = await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${familiarId}?data=keep`, headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ deleted: true, data: 'keep', kept: HELD });
    expect(await w.t.hearth.familiars.get(familiarId)).toBeUndefined();
    expect(await w.t.hearth.conversations.get(w.alice.id, conversationId)).toBeDefined();
    expect((await w.t.hearth.memory.repo.search({ userId: w.alice.id, q: word, kinds: ['memory', 'turn'] })).length).toBe(3);
    expect(existsSync(join(w.t.dataDir, 'notes', familiarId))).toBe(true);
    const [entry] = await w.t.hearth.audit.list({ action: 'familiar.delete', target: familiarId });
    expect(entry).toMatchObject({ outcome: 'success', details: { data: 'keep', kept: HELD } });
    // The person can still delete what was kept.
    expect(
      (await w.t.app.inject({ method: 'DELETE', url: `/api/conversations/${conversationId}`, headers: w.auth(w.alice.key) })).statusCode,
    ).toBe(204);
  });

  it('#15.4 familiar deletion: a familiar that holds nothing needs no choice', async () => {
    const f = await w.t.hearth.familiars.create({ slug: 'empty', name: 'Empty', persona: 'p', model: 'm' }, { type: 'system' });
    const res = await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${f.id}`, headers: admin() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ deleted: true, data: 'none' });
    expect((await w.t.app.inject({ method: 'DELETE', url: `/api/familiars/${f.id}`, headers: admin() })).statusCode).toBe(404);
  });
});
