import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { startTestHearth } from '../support/hearth.js';
import { spoken, tempLeft } from './fixtures.js';

describe('#18 voice: voice turns share the chat rate limit (HTTP-3)', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld({ env: { HEARTH_RATE_CHAT_TURNS: '2' } });
  });
  afterAll(async () => {
    await w?.close();
  });

  it('#18 voice: after two text turns a voice upload is a 429, and nothing is transcribed or stored', async () => {
    const c = await newConversation(w, w.alice.key);
    for (let i = 0; i < 2; i++) {
      const r = await w.t.app.inject({
        method: 'POST',
        url: `/api/conversations/${c}/messages`,
        headers: w.auth(w.alice.key),
        payload: { text: 'hi' },
      });
      expect(r.statusCode).toBe(200);
    }
    const voice = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/voice`,
      headers: { ...w.auth(w.alice.key), 'content-type': 'audio/wav' },
      payload: spoken('hello there'),
    });
    expect(voice.statusCode).toBe(429);
    expect(voice.json()).toMatchObject({ code: 'RATE_LIMITED' });
    const stored = await w.t.app.inject({ method: 'GET', url: `/api/conversations/${c}/messages`, headers: w.auth(w.alice.key) });
    expect((stored.json() as { messages: unknown[] }).messages).toHaveLength(4);
    expect(tempLeft(w.t.dataDir)).toEqual([]);
  });
});

describe('#18 voice: speech providers on PostgreSQL (DATA-1)', () => {
  it('#18 voice: one active provider per kind; the key is stored sealed', async () => {
    const t = await startTestHearth({ db: 'postgres' });
    try {
      const admin = await t.hearth.identity.createUser({ name: 'ada', password: 'correct horse battery staple 42', role: 'admin' });
      const { key } = await t.hearth.identity.createApiKey({ userId: admin.id, scopes: ['read', 'write', 'chat', 'admin'] });
      const headers = { authorization: `Bearer ${key}` };
      const create = (name: string) =>
        t.app.inject({
          method: 'POST',
          url: '/api/voice/providers',
          headers,
          payload: {
            name,
            kind: 'stt',
            baseUrl: 'https://speech.example/v1',
            apiKey: `sk-secret-${name}-9999`,
            model: 'whisper-1',
            active: true,
          },
        });
      expect((await create('one')).statusCode).toBe(201);
      expect((await create('two')).statusCode).toBe(201);
      expect((await create('two')).statusCode).toBe(409);
      const list = (await t.app.inject({ method: 'GET', url: '/api/voice/providers', headers })).json() as {
        providers: Array<{ name: string; active: boolean }>;
      };
      expect(list.providers.map((p) => [p.name, p.active])).toEqual([
        ['one', false],
        ['two', true],
      ]);
      const rows = await t.hearth.storage.db
        .withTables<{ speech_providers: { api_key_sealed: string | null } }>()
        .selectFrom('speech_providers')
        .select('api_key_sealed')
        .execute();
      for (const r of rows) expect(r.api_key_sealed).not.toContain('sk-secret');
    } finally {
      await t.close();
    }
  });
});
