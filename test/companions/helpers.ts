import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import type { DatabaseKind } from '../support/databases.js';

export const STRONG = 'correct horse battery staple 42';

export interface ChatWorld {
  readonly t: TestHearth;
  readonly fake: FakeOpenAI;
  readonly admin: { id: string; key: string };
  readonly alice: { id: string; key: string };
  readonly bob: { id: string; key: string };
  readonly providerId: string;
  readonly familiarId: string;
  auth(key: string): { authorization: string };
  close(): Promise<void>;
}

/** A Hearth with a fake model, an admin, two members (alice, bob) and one familiar `ember`. */
export async function startChatWorld(
  options: { db?: DatabaseKind; policy?: 'log' | 'neutralize' | 'refuse'; env?: Record<string, string> } = {},
): Promise<ChatWorld> {
  const t = await startTestHearth({ db: options.db ?? 'sqlite', env: { ...options.env } });
  const fake = await startFakeOpenAI({ apiKey: 'sk-fake-provider-key-9876' });
  const mk = async (name: string, role: 'admin' | 'member') => {
    const user = await t.hearth.identity.createUser({ name, password: STRONG, role });
    const { key } = await t.hearth.identity.createApiKey({
      userId: user.id,
      scopes: role === 'admin' ? ['read', 'write', 'chat', 'admin'] : ['read', 'write', 'chat'],
    });
    return { id: user.id, key };
  };
  const admin = await mk('ada', 'admin');
  const alice = await mk('alice', 'member');
  const bob = await mk('bob', 'member');
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const p = await t.app.inject({
    method: 'POST',
    url: '/api/providers',
    headers: auth(admin.key),
    payload: { name: 'fake', baseUrl: fake.url, apiKey: 'sk-fake-provider-key-9876', maxRetries: 0, timeoutMs: 3000 },
  });
  if (p.statusCode !== 201) throw new Error(`provider: ${p.statusCode} ${p.body}`);
  const providerId = (p.json() as { id: string }).id;
  const f = await t.app.inject({
    method: 'POST',
    url: '/api/familiars',
    headers: auth(admin.key),
    payload: {
      slug: 'ember',
      name: 'Ember',
      persona: 'You are Ember, a warm and curious companion.',
      providerId,
      model: 'fake-model',
      injectionPolicy: options.policy ?? 'neutralize',
      greeting: 'Hi!',
    },
  });
  if (f.statusCode !== 201) throw new Error(`familiar: ${f.statusCode} ${f.body}`);
  return {
    t,
    fake,
    admin,
    alice,
    bob,
    providerId,
    familiarId: (f.json() as { id: string }).id,
    auth,
    async close() {
      await fake.close();
      await t.close();
    },
  };
}

/** Creates a conversation for `key` and returns its id. */
export async function newConversation(w: ChatWorld, key: string): Promise<string> {
  const r = await w.t.app.inject({
    method: 'POST',
    url: '/api/conversations',
    headers: w.auth(key),
    payload: { familiarId: w.familiarId },
  });
  if (r.statusCode !== 201) throw new Error(`conversation: ${r.statusCode} ${r.body}`);
  return (r.json() as { id: string }).id;
}

/** Parses an SSE body into events. */
export function parseSse(body: string): Array<{ event: string; data: Record<string, unknown> }> {
  return body
    .split('\n\n')
    .filter((b) => b.trim())
    .map((b) => {
      const event = /^event: (.*)$/m.exec(b)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(b)?.[1] ?? '{}';
      return { event, data: JSON.parse(data) as Record<string, unknown> };
    });
}
