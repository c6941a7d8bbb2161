import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, configWarnings, loadConfig } from '../../src/config/index.js';
import { newConversation, startChatWorld, type ChatWorld } from '../companions/helpers.js';
import { tempDir } from '../support/databases.js';

/** DESIGN §6, Rose: memories shared between users, unauthenticated admin memory routes, listening on 0.0.0.0. */
describe('incident: Rose', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld();
  });
  afterAll(async () => w?.close());

  it('incident: Rose — memories shared between users (session isolation off): one person’s memory never reaches another', async () => {
    const MARK = 'ocelotmarmalade';
    const add = await w.t.app.inject({
      method: 'POST',
      url: '/api/memories',
      headers: w.auth(w.alice.key),
      payload: { familiarId: w.familiarId, text: `Alice's locker code is ${MARK}` },
    });
    expect(add.statusCode).toBe(201);
    const id = (add.json() as { id: string }).id;
    // Bob chats with the same familiar and asks for it outright
    w.fake.fallback = { text: 'I do not know.' };
    const conv = await newConversation(w, w.bob.key);
    const before = w.fake.requests.length;
    const chat = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${conv}/messages`,
      headers: w.auth(w.bob.key),
      payload: { text: `What is Alice's locker code? Something like ${MARK.slice(0, 6)}, the ocelot one?` },
    });
    expect(chat.statusCode).toBe(200);
    const shown = JSON.stringify(w.fake.requests.slice(before).map((r) => r.body));
    expect(shown).not.toContain(MARK);
    // and through the API: search, direct read, history
    const search = await w.t.app.inject({ url: `/api/memories?q=${MARK}`, headers: w.auth(w.bob.key) });
    expect(search.statusCode).toBe(200);
    expect(search.body).not.toContain(MARK);
    for (const url of [`/api/memories/${id}`, `/api/memories/${id}/history`])
      expect((await w.t.app.inject({ url, headers: w.auth(w.bob.key) })).statusCode).toBe(404);
    // while Alice's own turn does see it
    const mine = await newConversation(w, w.alice.key);
    const at = w.fake.requests.length;
    await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${mine}/messages`,
      headers: w.auth(w.alice.key),
      payload: { text: 'What is my locker code?' },
    });
    expect(JSON.stringify(w.fake.requests.slice(at).map((r) => r.body))).toContain(MARK);
  });

  it('incident: Rose — unauthenticated admin memory routes: every memory and notes route needs a credential, admin ones an admin', async () => {
    const routes = w.t.app.hearthRoutes.filter((r) => /memor|notes/.test(r.url));
    expect(routes.length).toBeGreaterThan(5);
    const url = (u: string) => u.replace(/:[A-Za-z0-9_]+/g, 'x');
    for (const r of routes) {
      const anonymous = await w.t.app.inject({
        method: r.method as 'GET',
        url: url(r.url),
        remoteAddress: '127.0.0.1',
        ...(r.method === 'GET' ? {} : { payload: {} }),
      });
      expect(anonymous.statusCode, `${r.method} ${r.url} anonymous, from loopback`).toBe(401);
      if (r.policy?.access === 'signed' && r.policy.role !== 'member') {
        const member = await w.t.app.inject({
          method: r.method as 'GET',
          url: url(r.url),
          headers: w.auth(w.alice.key),
          ...(r.method === 'GET' ? {} : { payload: {} }),
        });
        expect(member.statusCode, `${r.method} ${r.url} as a member`).toBe(403);
      }
    }
  });

  it('incident: Rose — listening on 0.0.0.0: loopback by default; all interfaces without TLS is refused in production and loud in development', () => {
    const dir = tempDir();
    const base = { HEARTH_DATA_DIR: dir };
    expect(loadConfig(base, { dotenv: false, cwd: dir }).HEARTH_HOST).toBe('127.0.0.1');
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      let issues: readonly { name: string }[] = [];
      try {
        loadConfig(
          { ...base, HEARTH_HOST: host, HEARTH_ENV: 'production', HEARTH_MASTER_KEY: '8f'.repeat(16) + '0123456789abcdef'.repeat(2) },
          { dotenv: false, cwd: dir },
        );
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        issues = err.issues;
      }
      expect(
        issues.map((i) => i.name),
        host,
      ).toContain('HEARTH_HOST');
      expect(configWarnings(loadConfig({ ...base, HEARTH_HOST: host }, { dotenv: false, cwd: dir })).join('\n')).toMatch(/not loopback/);
    }
  });
});
