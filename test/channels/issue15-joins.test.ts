/**
 * Issue #15, the last joins between concerns: unknown /v1 paths answer as OpenAI does whatever the
 * method (CH-1, HTTP-4), cross-origin API clients may name a conversation and read its id (HTTP-2),
 * and a channel-only person linked to a web account is merged into it, nothing lost (CH-4, DATA-5).
 */
import { mkdtempSync, readdirSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelSender } from '../../src/channels/core/index.js';
import { loginCookie } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { startChatWorld, STRONG, type ChatWorld } from '../companions/helpers.js';
import { ensureWebBuild } from '../webapp/support.js';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const UNKNOWN = [
  '/v1',
  '/v1/',
  '/v1/embeddings',
  '/v1/audio/speech',
  '/v1/models/ember/extra',
  '/v1/chat/completions/x',
  '/v1/%65mbeddings',
];

describe('#15 CH-1 unknown /v1 paths answer in OpenAI’s error shape, for every method, with the web app on', () => {
  let t: TestHearth;
  let key: string;
  beforeAll(async () => {
    await ensureWebBuild();
    t = await startTestHearth({ env: { HEARTH_SERVE_WEB: 'true' } });
    const user = await t.hearth.identity.createUser({ name: 'vera', password: STRONG, role: 'member' });
    key = (await t.hearth.identity.createApiKey({ userId: user.id, scopes: ['read', 'write', 'chat'] })).key;
  });
  afterAll(async () => t?.close());

  const openaiError = (body: string) => JSON.parse(body) as { error: { message: string; type: string; code: string; param: unknown } };

  it('#15 CH-1: with a key, every method on an unknown /v1 path is a 404 {error:{message,type,code,param}} with the request id', async () => {
    for (const method of METHODS)
      for (const url of UNKNOWN) {
        const res = await t.app.inject({ method, url, headers: { authorization: `Bearer ${key}`, 'x-request-id': 'req-v1-unknown' } });
        const what = `${method} ${url}`;
        expect(res.statusCode, what).toBe(404);
        expect(res.headers['content-type'], what).toMatch(/application\/json/);
        expect(res.headers['x-request-id'], what).toBe('req-v1-unknown');
        expect(res.body, what).not.toContain('<div id="app">');
        const body = openaiError(res.body);
        expect(Object.keys(body), what).toEqual(['error']);
        expect(body.error, what).toEqual({ message: expect.any(String), type: 'invalid_request_error', code: 'not_found', param: null });
        // Still the security headers every response carries.
        expect(res.headers['x-content-type-options'], what).toBe('nosniff');
      }
  });

  it('#15 CH-1: without a valid key, an unknown /v1 path is refused like the rest of /v1 (401, OpenAI shape), telling nothing of what exists', async () => {
    for (const method of METHODS)
      for (const [label, headers] of [
        ['no key', {}],
        ['garbage key', { authorization: 'Bearer hth_not_a_real_key' }],
      ] as const) {
        const res = await t.app.inject({ method, url: '/v1/embeddings', headers });
        expect(res.statusCode, `${method} ${label}`).toBe(401);
        expect(openaiError(res.body).error, `${method} ${label}`).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
      }
  });

  it('#15 CH-1: the catch-all routes are in the catalogue with a signed policy; the CORS preflight keeps its own route', async () => {
    const routes = t.app.hearthRoutes.filter((r) => r.url === '/v1/*' || r.url === '/v1');
    expect(routes.map((r) => r.method).sort()).toEqual([...METHODS, ...METHODS].sort());
    for (const r of routes) expect(r.policy).toEqual({ access: 'signed', role: 'member', scope: 'chat' });
    const preflight = await t.app.inject({ method: 'OPTIONS', url: '/v1/embeddings' });
    expect(preflight.statusCode).toBe(204);
    // The app's own pages and unknown /api paths are unchanged.
    expect((await t.app.inject({ method: 'GET', url: '/chat' })).body).toContain('<div id="app">');
    expect((await t.app.inject({ method: 'GET', url: '/api/nope' })).json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('#15 HTTP-2 CORS for API clients on a configured origin: X-Hearth-Conversation allowed, X-Hearth-Conversation-Id exposed', () => {
  let w: ChatWorld;
  const ALLOWED = 'https://client.example';
  const FOREIGN = 'https://evil.example';
  beforeAll(async () => {
    w = await startChatWorld({ env: { HEARTH_ALLOWED_ORIGINS: ALLOWED } });
  });
  afterAll(async () => w?.close());

  const preflight = (origin: string, headers: string) =>
    w.t.app.inject({
      method: 'OPTIONS',
      url: '/v1/chat/completions',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': headers },
    });
  const allowedHeaders = (v: unknown) =>
    String(v ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean);

  it('#15 HTTP-2: the preflight of a configured origin allows X-Hearth-Conversation and the official client’s headers', async () => {
    const res = await preflight(ALLOWED, 'authorization,content-type,x-hearth-conversation,x-stainless-os,x-stainless-retry-count');
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(ALLOWED);
    const allowed = allowedHeaders(res.headers['access-control-allow-headers']);
    for (const h of ['authorization', 'content-type', 'x-hearth-conversation', 'x-stainless-os', 'x-stainless-retry-count'])
      expect(allowed, h).toContain(h);
  });

  it('#15 HTTP-2: a named conversation’s id is readable cross-origin on the allowed origin, and on no other', async () => {
    const call = (origin: string) =>
      w.t.app.inject({
        method: 'POST',
        url: '/v1/chat/completions',
        headers: { origin, authorization: `Bearer ${w.alice.key}`, 'x-hearth-conversation': 'kitchen' },
        payload: { model: 'ember', messages: [{ role: 'user', content: 'hello there' }] },
      });
    const ok = await call(ALLOWED);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['x-hearth-conversation-id']).toEqual(expect.any(String));
    expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(allowedHeaders(ok.headers['access-control-expose-headers'])).toContain('x-hearth-conversation-id');

    // A foreign origin: no CORS grant at all, so its page can read nothing (neither preflight nor response).
    const pre = await preflight(FOREIGN, 'authorization,x-hearth-conversation');
    expect(pre.headers['access-control-allow-origin']).toBeUndefined();
    expect(pre.headers['access-control-allow-headers']).toBeUndefined();
    const foreign = await call(FOREIGN);
    expect(foreign.headers['access-control-allow-origin']).toBeUndefined();
    expect(foreign.headers['access-control-expose-headers']).toBeUndefined();
  });
});

describe.each(['sqlite', 'postgres'] as const)(
  '#15 CH-4 DATA-5 a channel-only person linked to a web account is merged into it: nothing lost, audited (%s)',
  (db) => {
    let w: ChatWorld;
    let mia: { id: string };
    const ORIGIN = 'http://localhost:80';
    beforeAll(async () => {
      w = await startChatWorld({ db, env: { HEARTH_CHANNEL_FAMILIAR: 'ember', HEARTH_RATE_CHAT_TURNS: '100000' } });
      mia = await w.t.hearth.identity.createUser({ name: 'mia', password: STRONG, role: 'member' });
    });
    afterAll(async () => w?.close());

    const hearth = () => w.t.hearth;
    /** An admin admits a stranger as a new channel person; they chat, remember, keep notes and spend budget. */
    async function channelPersonWithData(sender: ChannelSender, secret: string) {
      const admitted = await hearth().channels.hub.linking.toNewPerson(sender, { type: 'system' });
      if (admitted.kind !== 'ok') throw new Error(admitted.kind);
      const person = admitted.userId;
      expect(person).toMatch(/^person_/);
      await hearth().budgets.setLimits({ kind: 'person', userId: person }, { tokensPerDay: 1_000_000 }, { type: 'system' });
      const said = await hearth().channels.hub.handle(sender, `The password to my diary is ${secret}.`, `telegram:${sender.externalId}`);
      expect(said.kind).toBe('reply');
      await hearth().memory.repo.flush();
      await hearth().memory.repo.add({ userId: person, familiarId: w.familiarId, text: `Diary password ${secret}`, provenance: 'person' });
      await hearth().memory.notes.write({ familiarId: w.familiarId, userId: person }, 'diary.md', `The diary: ${secret}`, {
        actor: { type: 'system' },
        source: 'admin',
      });
      return person;
    }

    it('#15 CH-4: /link CODE from the channel moves conversations, memories (searchable), notes, budgets, identities and audit to the account', async () => {
      const sender: ChannelSender = { channel: 'telegram', externalId: '7007', displayName: 'mia_tg' };
      const person = await channelPersonWithData(sender, 'plover');
      const before = await hearth().privacy.exportPerson(person);
      expect(JSON.stringify(before)).toContain('plover');

      // mia, signed in on the web, asks for a code and sends it from Telegram.
      const c = await loginCookie(w.t, 'mia');
      const code = await w.t.app.inject({
        method: 'POST',
        url: '/api/channels/links/code',
        headers: { cookie: c.cookie, origin: ORIGIN, host: 'localhost:80', 'x-csrf-token': c.csrf },
      });
      expect(code.statusCode).toBe(201);
      const reply = await hearth().channels.hub.link(sender, (code.json() as { code: string }).code);
      expect(reply).toContain('speak as mia');
      expect((await hearth().channels.identities.find('telegram', '7007'))?.userId).toBe(mia.id);

      // Everything is mia's now, and nothing is left under the channel person.
      const convs = await hearth().conversations.list(mia.id);
      expect(convs.length).toBeGreaterThan(0);
      expect(await hearth().conversations.list(person)).toEqual([]);
      const found = await hearth().memory.repo.search({ userId: mia.id, q: 'plover diary password', limit: 10 });
      expect(found.map((m) => m.text).join('\n')).toContain('plover');
      expect(found.some((m) => m.kind === 'turn')).toBe(true);
      expect(await hearth().memory.repo.search({ userId: person, q: 'plover diary password', limit: 10 })).toEqual([]);
      expect(await hearth().memory.notes.read({ familiarId: w.familiarId, userId: mia.id }, 'diary.md')).toContain('plover');
      const mine = await hearth().privacy.exportPerson(mia.id);
      const text = JSON.stringify(mine);
      expect(text).toContain('plover');
      expect((mine.budgetLimits as Array<{ scope: string }>).map((l) => l.scope)).toContain(`person:${mia.id}`);
      expect((mine.budgetUsage as Array<{ tokens: number }>).reduce((n, u) => n + Number(u.tokens), 0)).toBeGreaterThan(0);
      // The channel person's own audit history (their admission) is in mia's export.
      const audit = mine.audit as Array<{ action: string; details: Record<string, unknown> | null }>;
      expect(audit.some((e) => e.action === 'channel.identity.link' && e.details?.via === 'new_person')).toBe(true);
      const merged = audit.find((e) => e.action === 'privacy.reassign');
      expect(merged?.details).toMatchObject({ mergedUserId: person });
      expect(audit.find((e) => e.action === 'channel.identity.link' && e.details?.via === 'web_code')?.details).toMatchObject({
        previousUserId: person,
        previousData: 'merged',
      });
      const left = JSON.stringify(await hearth().privacy.exportPerson(person));
      expect(left).not.toContain('plover');
      expect((await hearth().audit.verify()).ok).toBe(true);

      // Erasing mia erases what was merged into her too: the channel person's audit entries are shredded.
      await hearth().privacy.erase(mia.id, { type: 'system' });
      const entries = await hearth().audit.list({ limit: 1000 });
      expect(JSON.stringify(entries)).not.toContain(person);
      expect(JSON.stringify(entries)).not.toContain('mia_tg');
      expect((await hearth().audit.verify()).ok).toBe(true);
    });

    it('#15 CH-4: a code entered on the web merges too; a person with another chat account still speaking as them keeps their data', async () => {
      const bob = await hearth().identity.createUser({ name: 'bobby', password: STRONG, role: 'member' });
      const phone: ChannelSender = { channel: 'telegram', externalId: '8008', displayName: 'bobby_phone' };
      const person = await channelPersonWithData(phone, 'heron');
      // The operator attached a second chat account to the same channel person.
      const attached = await hearth().channels.hub.linking.attach({ channel: 'discord', externalId: '9009' }, person, { type: 'system' });
      expect(attached.kind).toBe('ok');

      const c = await loginCookie(w.t, 'bobby');
      const session = { cookie: c.cookie, origin: ORIGIN, host: 'localhost:80', 'x-csrf-token': c.csrf };
      const claimWith = async (sender: ChannelSender) => {
        const message = await hearth().channels.hub.link(sender, undefined);
        const code = /Chat accounts: ([A-Z0-9]+)/.exec(message)![1]!;
        return w.t.app.inject({ method: 'POST', url: '/api/channels/links/claim', headers: session, payload: { code } });
      };
      // The phone is linked, but the Discord account still speaks as the channel person: their data stays with it.
      expect((await claimWith(phone)).statusCode).toBe(200);
      expect((await hearth().channels.identities.find('telegram', '8008'))?.userId).toBe(bob.id);
      expect(JSON.stringify(await hearth().privacy.exportPerson(person))).toContain('heron');
      expect(await hearth().conversations.list(bob.id)).toEqual([]);

      // Linking the last one merges everything.
      expect((await claimWith({ channel: 'discord', externalId: '9009' })).statusCode).toBe(200);
      expect(JSON.stringify(await hearth().privacy.exportPerson(bob.id))).toContain('heron');
      expect(JSON.stringify(await hearth().privacy.exportPerson(person))).not.toContain('heron');
      expect((await hearth().conversations.list(bob.id)).length).toBeGreaterThan(0);
      expect(await hearth().channels.identities.list({ userId: person })).toEqual([]);
      expect((await hearth().audit.verify()).ok).toBe(true);
    });

    it('#15 DATA-5: a budget limit set for a person (budget.set, target person:<id>) is shredded with them at erasure', async () => {
      const erin = await hearth().identity.createUser({ name: 'erin', password: STRONG, role: 'member' });
      await hearth().budgets.setLimits({ kind: 'person', userId: erin.id }, { tokensPerDay: 5000 }, { type: 'system' });
      await hearth().budgets.setLimits(
        { kind: 'person', userId: erin.id, familiarId: w.familiarId },
        { tokensPerDay: 100 },
        { type: 'system' },
      );
      expect(JSON.stringify(await hearth().audit.list({ action: 'budget.set', limit: 50 }))).toContain(erin.id);
      await hearth().privacy.erase(erin.id, { type: 'system' });
      expect(JSON.stringify(await hearth().audit.list({ limit: 1000 }))).not.toContain(erin.id);
      expect((await hearth().audit.verify()).ok).toBe(true);
    });

    it('#15 CH-4: a part that cannot be moved (a link planted where the notes go) fails the link naming it; nothing is lost, and it finishes later', async () => {
      const zoe = await hearth().identity.createUser({ name: 'zoe', password: STRONG, role: 'member' });
      const sender: ChannelSender = { channel: 'telegram', externalId: '6006', displayName: 'zoe_tg' };
      const person = await channelPersonWithData(sender, 'bittern');
      const people = join(w.t.config.dataDir, 'notes', w.familiarId, 'people');
      const elsewhere = mkdtempSync(join(tmpdir(), 'hearth-elsewhere-'));
      symlinkSync(elsewhere, join(people, zoe.id));
      const c = await loginCookie(w.t, 'zoe');
      const session = { cookie: c.cookie, origin: ORIGIN, host: 'localhost:80', 'x-csrf-token': c.csrf };
      const webCode = async () =>
        ((await w.t.app.inject({ method: 'POST', url: '/api/channels/links/code', headers: session })).json() as { code: string }).code;

      expect(await hearth().channels.hub.link(sender, await webCode())).toContain('nothing was lost');
      // Still the channel person's identity, their note still theirs, nothing written through the link.
      expect((await hearth().channels.identities.find('telegram', '6006'))?.userId).toBe(person);
      expect(await hearth().memory.notes.read({ familiarId: w.familiarId, userId: person }, 'diary.md')).toContain('bittern');
      expect(readdirSync(elsewhere)).toEqual([]);
      const both = JSON.stringify([await hearth().privacy.exportPerson(person), await hearth().privacy.exportPerson(zoe.id)]);
      expect(both).toContain('Diary password bittern');
      const failed = (await hearth().audit.list({ action: 'privacy.reassign', outcome: 'failure', limit: 5 }))[0];
      expect(failed?.details).toMatchObject({ part: 'notes', mergedUserId: person });

      // The operator removes the planted link; the person links again and everything arrives.
      unlinkSync(join(people, zoe.id));
      expect(await hearth().channels.hub.link(sender, await webCode())).toContain('speak as zoe');
      expect(await hearth().memory.notes.read({ familiarId: w.familiarId, userId: zoe.id }, 'diary.md')).toContain('bittern');
      expect(JSON.stringify(await hearth().privacy.exportPerson(zoe.id))).toContain('Diary password bittern');
      expect(JSON.stringify(await hearth().privacy.exportPerson(person))).not.toContain('bittern');
      rmSync(elsewhere, { recursive: true, force: true });
    });
  },
);
