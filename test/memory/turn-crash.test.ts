import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { dropSchema, PG_URL, tempDir, uniqueSchema } from '../support/databases.js';
import { startTestHearth } from '../support/hearth.js';
import { startFakeOpenAI } from '../fakes/openai-server.js';

const schema = uniqueSchema();
const dataDir = tempDir();
afterAll(async () => {
  await dropSchema(schema);
  await dropSchema(`${schema}_jobs`);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the child Hearth and resolves with its URL once it listens. */
function startChild(mode: 'hold-index' | 'plain'): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/turn-crash-hearth.ts', dataDir, PG_URL, schema, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`child exited (${code}): ${out}`)));
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
  });
}

async function indexed(ref: string): Promise<number> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const r = await client.query<{ n: string }>(
      `select count(*) as n from ${schema}.memory_items where kind = 'turn' and source_ref = $1`,
      [ref],
    );
    return Number(r.rows[0]!.n);
  } finally {
    await client.end();
  }
}

describe('MEM-1 crash safety: a turn acknowledged to the person is in the memory index after a SIGKILL', () => {
  it('a real Hearth killed right after a reply redoes the lost index entry at start-up, once', async () => {
    // The world (person, key, provider, familiar, conversation) is made in-process, then handed to the child.
    const fake = await startFakeOpenAI({ apiKey: 'sk-fake-provider-key-9876', fallback: { text: 'Your kite is called Marigold.' } });
    const setup = await startTestHearth({ db: 'postgres', pgSchema: schema, dataDir });
    const user = await setup.hearth.identity.createUser({ name: 'alice', password: 'correct horse battery staple 42', role: 'admin' });
    const { key } = await setup.hearth.identity.createApiKey({ userId: user.id, scopes: ['read', 'write', 'chat', 'admin'] });
    const auth = { authorization: `Bearer ${key}` };
    const p = await setup.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: auth,
      payload: { name: 'fake', baseUrl: fake.url, apiKey: 'sk-fake-provider-key-9876', maxRetries: 0, timeoutMs: 3000 },
    });
    const f = await setup.app.inject({
      method: 'POST',
      url: '/api/familiars',
      headers: auth,
      payload: {
        slug: 'ember',
        name: 'Ember',
        persona: 'You are Ember.',
        providerId: p.json().id,
        model: 'fake-model',
        injectionPolicy: 'neutralize',
      },
    });
    const familiarId = (f.json() as { id: string }).id;
    const c = await setup.app.inject({ method: 'POST', url: '/api/conversations', headers: auth, payload: { familiarId, title: 'kites' } });
    const conversationId = (c.json() as { id: string }).id;
    await setup.close();

    const first = await startChild('hold-index');
    const res = await fetch(`${first.url}/api/conversations/${conversationId}/messages`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'What is my kite called?' }),
    });
    expect(res.status).toBe(200);
    const reply = (await res.json()) as { messageId: string; text: string };
    expect(reply.text).toBe('Your kite is called Marigold.');
    // Acknowledged: now the crash.
    first.child.removeAllListeners('exit');
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));
    // The write-behind batch died with the process: the reply is not in the index.
    expect(await indexed(`${conversationId}:${reply.messageId}`)).toBe(0);

    const second = await startChild('plain');
    // Start-up found the stored reply without its index entry and indexed it (and the question) again.
    expect(await indexed(`${conversationId}:${reply.messageId}`)).toBe(1);
    second.child.removeAllListeners('exit');
    second.child.kill('SIGTERM');
    await new Promise((resolve) => second.child.once('exit', resolve));

    // Retrievable from memory, exactly once, and a further recovery adds nothing.
    const after = await startTestHearth({ db: 'postgres', pgSchema: schema, dataDir });
    const hits = await after.hearth.memory.repo.search({ userId: user.id, q: 'Marigold kite', kinds: ['turn'] });
    expect(hits.filter((h) => h.sourceRef === `${conversationId}:${reply.messageId}`)).toHaveLength(1);
    expect(hits.some((h) => h.text === 'What is my kite called?')).toBe(true);
    await after.close();
    expect(await indexed(`${conversationId}:${reply.messageId}`)).toBe(1);
    await fake.close();
  });
});
