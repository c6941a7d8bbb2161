import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { DATABASE_KINDS } from '../support/databases.js';

describe.each(DATABASE_KINDS)('deleting a conversation on %s (issue #15, DATA-5)', (db) => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld({ db });
  });
  afterAll(async () => w.close());

  const say = (id: string, text: string) =>
    w.t.app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, headers: w.auth(w.alice.key), payload: { text } });
  const promptsText = () => JSON.stringify(w.fake.requests.filter((r) => r.path === '/v1/chat/completions').map((r) => r.body));

  it('#15.1 conversation deletion: its turns leave memory search, the export and later prompts (audited, no content)', async () => {
    const word = `quokkazephyr${db}`;
    const first = await newConversation(w, w.alice.key);
    w.fake.script.push({ text: `Noted, your lighthouse keeper is ${word}.` });
    expect((await say(first, `My lighthouse keeper is called ${word}`)).statusCode).toBe(200);

    // Control: before the deletion the turn is retrieved into a later prompt of another conversation.
    const control = await newConversation(w, w.alice.key);
    w.fake.requests.length = 0;
    expect((await say(control, 'who is my lighthouse keeper?')).statusCode).toBe(200);
    expect(promptsText()).toContain(word);
    // The control conversation quotes the word too (the model's reply above); it goes first.
    expect(
      (await w.t.app.inject({ method: 'DELETE', url: `/api/conversations/${control}`, headers: w.auth(w.alice.key) })).statusCode,
    ).toBe(204);

    const del = await w.t.app.inject({ method: 'DELETE', url: `/api/conversations/${first}`, headers: w.auth(w.alice.key) });
    expect(del.statusCode).toBe(204);

    const search = await w.t.app.inject({ url: `/api/memories?q=${word}&kind=turn`, headers: w.auth(w.alice.key) });
    expect(search.statusCode).toBe(200);
    expect((search.json() as { memories: unknown[] }).memories).toEqual([]);
    expect(await w.t.hearth.memory.repo.search({ userId: w.alice.id, q: word, kinds: ['memory', 'turn'] })).toEqual([]);

    const exp = await w.t.app.inject({ url: `/api/users/${w.alice.id}/export`, headers: w.auth(w.alice.key) });
    expect(exp.statusCode).toBe(200);
    expect(exp.body).not.toContain(word);
    expect((exp.json() as { pastTurnsIndexed: number }).pastTurnsIndexed).toBe(0);

    const later = await newConversation(w, w.alice.key);
    w.fake.requests.length = 0;
    expect((await say(later, 'who is my lighthouse keeper?')).statusCode).toBe(200);
    expect(promptsText()).not.toContain(word);

    const audited = await w.t.hearth.audit.list({ action: 'conversation.delete', target: first });
    expect(audited).toHaveLength(1);
    expect(audited[0]).toMatchObject({ outcome: 'success', actor: { type: 'api_key', userId: w.alice.id } });
    expect(audited[0]!.details).toMatchObject({ removed: { messages: 2, turns: 2, conversations: 1 } });
    expect(JSON.stringify(audited)).not.toContain(word);
  });

  it("#15.1 conversation deletion: another person's conversation is a 404 and keeps its turns", async () => {
    const word = `marmotquasar${db}`;
    const id = await newConversation(w, w.alice.key);
    expect((await say(id, `remember ${word}`)).statusCode).toBe(200);
    const res = await w.t.app.inject({ method: 'DELETE', url: `/api/conversations/${id}`, headers: w.auth(w.bob.key) });
    expect(res.statusCode).toBe(404);
    expect((await w.t.hearth.memory.repo.search({ userId: w.alice.id, q: word, kinds: ['turn'] })).length).toBeGreaterThan(0);
  });
});
