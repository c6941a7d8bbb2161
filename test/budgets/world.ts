import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import type { DatabaseKind } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const STRONG = 'correct horse battery staple 42';

export interface BudgetWorld {
  readonly t: TestHearth;
  readonly fake: FakeOpenAI;
  readonly owner: { id: string; key: string };
  readonly admin: { id: string; key: string };
  readonly alice: { id: string; key: string };
  readonly bob: { id: string; key: string };
  readonly familiarId: string;
  /** Moves the clock Hearth reads (kernel `now`) forward. */
  advance(ms: number): void;
  auth(key: string): { authorization: string };
  /** Sets a budget through the admin API; answers the status code. */
  setBudget(body: Record<string, unknown>): Promise<number>;
  /** One JSON chat turn in a new conversation of `key`'s person. */
  chat(key: string, text?: string): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** A Hearth over a fake model reporting 50 + 20 tokens a call; an owner, an admin, two members, familiar `ember` (100 output tokens a call). */
export async function startBudgetWorld(options: { db?: DatabaseKind; env?: Record<string, string> } = {}): Promise<BudgetWorld> {
  let offset = 0;
  const t = await startTestHearth({ db: options.db ?? 'sqlite', env: { ...options.env }, now: () => Date.now() + offset });
  const fake = await startFakeOpenAI({ fallback: { text: 'Happy to help.', usage: { prompt: 50, completion: 20 } } });
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const mk = async (name: string, role: 'owner' | 'admin' | 'member') => {
    const user = await t.hearth.identity.createUser({ name, password: STRONG, role });
    const admin = role !== 'member';
    const { key } = await t.hearth.identity.createApiKey({
      userId: user.id,
      scopes: admin ? ['read', 'write', 'chat', 'admin'] : ['read', 'write', 'chat'],
    });
    return { id: user.id, key };
  };
  const owner = await mk('olive', 'owner');
  const admin = await mk('ada', 'admin');
  const alice = await mk('alice', 'member');
  const bob = await mk('bob', 'member');
  const p = await t.app.inject({
    method: 'POST',
    url: '/api/providers',
    headers: auth(admin.key),
    payload: { name: 'fake', baseUrl: fake.url, maxRetries: 0, timeoutMs: 5000 },
  });
  if (p.statusCode !== 201) throw new Error(`provider: ${p.statusCode} ${p.body}`);
  const f = await t.app.inject({
    method: 'POST',
    url: '/api/familiars',
    headers: auth(admin.key),
    payload: {
      slug: 'ember',
      name: 'Ember',
      persona: 'You are Ember.',
      providerId: (p.json() as { id: string }).id,
      model: 'fake-model',
      maxOutputTokens: 100,
    },
  });
  if (f.statusCode !== 201) throw new Error(`familiar: ${f.statusCode} ${f.body}`);
  const familiarId = (f.json() as { id: string }).id;
  return {
    t,
    fake,
    owner,
    admin,
    alice,
    bob,
    familiarId,
    auth,
    advance: (ms) => {
      offset += ms;
    },
    async setBudget(body) {
      const r = await t.app.inject({ method: 'PUT', url: '/api/budgets', headers: auth(admin.key), payload: body });
      return r.statusCode;
    },
    async chat(key, text = 'Hello there') {
      const c = await t.app.inject({ method: 'POST', url: '/api/conversations', headers: auth(key), payload: { familiarId } });
      if (c.statusCode !== 201) throw new Error(`conversation: ${c.statusCode} ${c.body}`);
      const id = (c.json() as { id: string }).id;
      const r = await t.app.inject({ method: 'POST', url: `/api/conversations/${id}/messages`, headers: auth(key), payload: { text } });
      return { status: r.statusCode, body: r.json() as Record<string, unknown>, headers: r.headers };
    },
    async close() {
      await fake.close();
      await t.close();
    },
  };
}

/** `hearth ARGS` in this process, against the world's data directory (its Hearth is open beside it, as a running server is). */
export async function runBudgetCli(w: BudgetWorld, ...args: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const stdin = new PassThrough();
  stdin.end();
  const code = await runCli(args, {
    stdout: out,
    stderr: err,
    stdin,
    env: { HEARTH_DATA_DIR: w.t.dataDir, HEARTH_LOG_LEVEL: 'error' },
    cwd: w.t.dataDir,
  });
  return { code, stdout, stderr };
}
