import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINK_BUDGET_LIMIT, LINK_CODE_TTL_MS, type ChannelTables } from '../../src/channels/core/index.js';
import { personCommandsOver } from '../../src/channels/index.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { loginCookie, userWithKey } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const ORIGIN = 'http://localhost:80';
const OWNER_TG = { id: 1001, username: 'olivia_tg' };
const ADMIN_TG = { id: 2002, username: 'adam_tg' };
const SECRET = 'the vault combination is 4812';

type Cookie = Awaited<ReturnType<typeof loginCookie>>;
type Person = Awaited<ReturnType<typeof userWithKey>>;

/**
 * Who a chat account speaks as (#15, CH-2, AUTH-7): a whole Hearth with Telegram started against the
 * fake Bot API, driven by the real grammY client; people act over HTTP with keys and signed-in sessions.
 */
describe('#15 identity: linking a channel identity to a person needs the consent of both sides', () => {
  let t: TestHearth;
  let fake: FakeTelegram;
  let owner: Person;
  let admin: Person;
  let member: Person;
  let familiarId: string;
  const clock = { now: Date.now() };

  beforeAll(async () => {
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    t = await startTestHearth({ env: { HEARTH_TELEGRAM_BOT_TOKEN: TOKEN, HEARTH_TELEGRAM_API_ROOT: apiRoot }, now: () => clock.now });
    for (let i = 0; i < 500 && !t.hearth.channels.running('telegram'); i++) await new Promise((r) => setTimeout(r, 20));
    owner = await userWithKey(t, 'olivia', 'owner', ['read', 'write', 'admin']);
    admin = await userWithKey(t, 'adam', 'admin', ['read', 'write', 'admin']);
    member = await userWithKey(t, 'mia', 'member', ['read', 'write']);
    familiarId = (await t.hearth.familiars.create({ slug: 'wren', name: 'Wren', persona: 'kind', model: 'm' }, { type: 'system' })).id;
    await t.hearth.memory.repo.add({ userId: owner.user.id, familiarId, text: SECRET, provenance: 'person' });
  });
  afterAll(async () => {
    await t?.close();
    await fake?.close();
  });

  const byKey = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, key: string, payload?: Record<string, unknown>) =>
    t.app.inject({ method, url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
  const bySession = (method: 'GET' | 'POST' | 'DELETE', url: string, c: Cookie, payload?: Record<string, unknown>) =>
    t.app.inject({
      method,
      url,
      headers: { cookie: c.cookie, origin: ORIGIN, host: 'localhost:80', 'x-csrf-token': c.csrf },
      ...(payload ? { payload } : {}),
    });
  const linkedTo = async (externalId: number) => (await t.hearth.channels.identities.find('telegram', String(externalId)))?.userId;
  const lastTo = async (chatId: number, n: number) => (await fake.messagesTo(chatId, n)).at(-1)?.text ?? '';
  /** What the familiar would hand this chat account for `/export`: the memories of whoever it speaks as. */
  const exportFor = async (externalId: number) => {
    const commands = personCommandsOver(t.hearth.memory.repo, async () => familiarId);
    const result = await t.hearth.channels.hub.handle({ channel: 'telegram', externalId: String(externalId) }, '', 'k', {
      vouched: true,
      answer: (p) => commands.export(p.userId),
    });
    return result.parts.join('\n');
  };
  /** Says something on Telegram and returns the bot's answer (the next message to that chat). */
  const say = async (from: { id: number; username?: string }, text: string) => {
    const before = fake.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === String(from.id)).length;
    fake.userSays(from, text);
    return lastTo(from.id, before + 1);
  };

  it('#15 identity: the owner links their own Telegram account by consent (a code from the Account page, sent with /link)', async () => {
    const session = await loginCookie(t, 'olivia');
    const made = await bySession('POST', '/api/channels/links/code', session);
    expect(made.statusCode, made.body).toBe(201);
    const { code, command, expiresAt } = made.json() as { code: string; command: string; expiresAt: number };
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{10}$/);
    expect(command).toBe(`/link ${code}`);
    expect(expiresAt - clock.now).toBe(LINK_CODE_TTL_MS);
    expect(await say(OWNER_TG, command)).toBe('Linked: here you now speak as olivia, the same person as on the web.');
    expect(await linkedTo(OWNER_TG.id)).toBe(owner.user.id);
    expect(await exportFor(OWNER_TG.id)).toContain(SECRET);
    // Only the hash is stored; the code is in no log line.
    const rows = await t.hearth.storage.db.withTables<ChannelTables>().selectFrom('channel_link_codes').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(code);
    expect(t.logs.text).not.toContain(code);
  });

  it('#15 identity: the admin tries every path to speak as the owner through a channel, and each one fails', async () => {
    const adminSession = await loginCookie(t, 'adam');
    const forbidden = (res: { statusCode: number; json(): unknown }) => {
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ code: 'FORBIDDEN' });
    };
    // 1. Link their Telegram account straight to the owner's account: with a key, and from a signed-in session.
    const direct = { channel: 'telegram', externalId: String(ADMIN_TG.id), userId: owner.user.id };
    forbidden(await byKey('POST', '/api/channels/identities', admin.key, direct));
    forbidden(await bySession('POST', '/api/channels/identities', adminSession, direct));
    expect(await linkedTo(ADMIN_TG.id)).toBeUndefined();

    // 2. Ask to pair, then approve their own request as the owner's account: refused, and the request stays pending.
    expect(await say(ADMIN_TG, 'hello')).toMatch(/pairing code: [A-Z0-9]{8}/);
    const pending = (await byKey('GET', '/api/pairings', admin.key)).json() as { pairings: Array<{ id: string; externalId: string }> };
    const mine = pending.pairings.find((p) => p.externalId === String(ADMIN_TG.id))!;
    forbidden(await byKey('POST', `/api/pairings/${mine.id}/approve`, admin.key, { userId: owner.user.id }));
    expect(((await byKey('GET', '/api/pairings', admin.key)).json() as typeof pending).pairings.map((p) => p.id)).toContain(mine.id);

    // 3. Approve it plainly (a new channel person), then move that identity onto the owner: refused; a known identity is never re-linked by an admin.
    expect((await byKey('POST', `/api/pairings/${mine.id}/approve`, admin.key, {})).statusCode).toBe(200);
    const channelPerson = await linkedTo(ADMIN_TG.id);
    expect(channelPerson).toMatch(/^person_/);
    forbidden(await byKey('POST', '/api/channels/identities', admin.key, direct));
    const again = await byKey('POST', '/api/channels/identities', admin.key, { channel: 'telegram', externalId: String(ADMIN_TG.id) });
    expect(again.statusCode).toBe(409);

    // 4. Take over the owner's own Telegram identity (re-link it to a new person, or unlink it): refused.
    const takeOver = await byKey('POST', '/api/channels/identities', admin.key, { channel: 'telegram', externalId: String(OWNER_TG.id) });
    expect(takeOver.statusCode).toBe(409);
    expect((await bySession('DELETE', `/api/channels/links/telegram/${OWNER_TG.id}`, adminSession)).statusCode).toBe(404);
    expect(await linkedTo(OWNER_TG.id)).toBe(owner.user.id);

    // 5. Make a link code for the owner: the route takes no person (400), keys cannot make codes (403), a code is always the caller's own.
    expect((await bySession('POST', '/api/channels/links/code', adminSession, { userId: owner.user.id })).statusCode).toBe(400);
    forbidden(await byKey('POST', '/api/channels/links/code', admin.key));
    forbidden(await byKey('POST', '/api/channels/links/claim', owner.key, { code: 'ABCDEFGHJK' }));

    // 6. Guess a code from the channel: refused, then limited; nothing is linked.
    for (let i = 0; i < LINK_BUDGET_LIMIT.points; i++)
      expect(await say(ADMIN_TG, `/link GUESS${i}ABCDE`)).toContain('not valid or has expired');
    expect(await say(ADMIN_TG, '/link ABCDEFGHJK')).toContain('Too many link attempts');

    // 7. Widen the allowlist or take the bot over: owner-only.
    forbidden(await byKey('PUT', '/api/channels/telegram', admin.key, { allowedIds: [String(ADMIN_TG.id)] }));

    // Whatever the admin did, their chat account is not the owner, and /export hands out nothing of hers.
    expect(await linkedTo(ADMIN_TG.id)).toBe(channelPerson);
    expect(await exportFor(ADMIN_TG.id)).not.toContain(SECRET);
    const denied = await t.hearth.audit.list({ action: 'channel.identity.link' });
    expect(denied.filter((e) => e.outcome === 'denied').length).toBeGreaterThanOrEqual(3);
    expect((await t.hearth.audit.list({ action: 'channel.pairing.approve' })).some((e) => e.outcome === 'denied')).toBe(true);
  });

  it('#15 identity: a code asked for on the channel (/link) is checked, then claimed on the web by the person; it works once', async () => {
    const tg = { id: 3003, username: 'mia_tg' };
    const reply = await say(tg, '/link');
    const code = /enter this code under Chat accounts: ([A-Z0-9]{10})/.exec(reply)?.[1];
    expect(code, reply).toBeDefined();
    const session = await loginCookie(t, 'mia');
    const preview = await bySession('POST', '/api/channels/links/preview', session, { code: code!.toLowerCase() });
    expect(preview.statusCode).toBe(200);
    expect(preview.json()).toEqual({ channel: 'telegram', externalId: '3003', displayName: 'mia_tg', linkedToYou: false });
    expect(await linkedTo(tg.id)).toBeUndefined(); // a preview links nothing

    forbidden403(await byKey('POST', '/api/channels/links/claim', member.key, { code: code! }));
    const claimed = await bySession('POST', '/api/channels/links/claim', session, { code: code! });
    expect(claimed.statusCode).toBe(200);
    expect(await linkedTo(tg.id)).toBe(member.user.id);
    expect(await lastTo(tg.id, 2)).toBe('Linked: here you now speak as mia, the same person as on the web.');
    const reused = await bySession('POST', '/api/channels/links/claim', session, { code: code! });
    expect(reused.statusCode).toBe(404);
    expect(reused.json()).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'LINK_CODE_INVALID' } });
    const own = (await bySession('GET', '/api/channels/links', session)).json() as { identities: Array<{ externalId: string }> };
    expect(own.identities.map((i) => i.externalId)).toEqual(['3003']);

    // The person unlinks it: the chat account is a stranger again.
    expect((await bySession('DELETE', '/api/channels/links/telegram/3003', session)).statusCode).toBe(204);
    expect(await say(tg, 'still me?')).toMatch(/pairing code/);
    const audit = await t.hearth.audit.list({ action: 'channel.identity.' });
    expect(audit.map((e) => `${e.action}:${e.outcome}`)).toEqual(
      expect.arrayContaining(['channel.identity.link_code:success', 'channel.identity.link:success', 'channel.identity.unlink:success']),
    );
  });

  it('#15 identity: a web code expires and is single use', async () => {
    const session = await loginCookie(t, 'mia');
    const { code } = (await bySession('POST', '/api/channels/links/code', session)).json() as { code: string };
    clock.now += LINK_CODE_TTL_MS + 1;
    expect(await say({ id: 4004 }, `/link ${code}`)).toContain('not valid or has expired');
    const fresh = (await bySession('POST', '/api/channels/links/code', await loginCookie(t, 'mia'))).json() as { code: string };
    expect(await say({ id: 4004 }, `/link ${fresh.code}`)).toContain('speak as mia');
    expect(await say({ id: 4005 }, `/link ${fresh.code}`)).toContain('not valid or has expired');
    expect(await linkedTo(4005)).toBeUndefined();
  });

  it('#15 identity: only the owner attaches an identity to an existing account, audited with both parties', async () => {
    const attach = { channel: 'telegram', externalId: '6006', userId: member.user.id };
    const made = await byKey('POST', '/api/channels/identities', owner.key, attach);
    expect(made.statusCode).toBe(201);
    expect(await linkedTo(6006)).toBe(member.user.id);
    const entry = (await t.hearth.audit.list({ action: 'channel.identity.link' })).find((e) => e.target === 'telegram:6006')!;
    expect(entry).toMatchObject({
      actor: { type: 'user', id: owner.user.id },
      outcome: 'success',
      details: { via: 'owner', userId: member.user.id, previousUserId: null },
    });
    const ghost = await byKey('POST', '/api/channels/identities', owner.key, { ...attach, userId: 'nobody' });
    expect(ghost.json()).toMatchObject({ code: 'NOT_FOUND', details: { reason: 'PERSON_NOT_FOUND' } });

    // A stranger's pairing: the owner may attach it to an existing person; an unknown person leaves it pending.
    const stranger = { id: 7007, username: 'newcomer' };
    expect(await say(stranger, 'hi')).toMatch(/pairing code/);
    const { pairings } = (await byKey('GET', '/api/pairings', owner.key)).json() as { pairings: Array<{ id: string; externalId: string }> };
    const p = pairings.find((x) => x.externalId === '7007')!;
    expect((await byKey('POST', `/api/pairings/${p.id}/approve`, owner.key, { userId: 'nobody' })).statusCode).toBe(404);
    const ok = await byKey('POST', `/api/pairings/${p.id}/approve`, owner.key, { userId: member.user.id });
    expect(ok.statusCode).toBe(200);
    expect(await linkedTo(7007)).toBe(member.user.id);
  });

  function forbidden403(res: { statusCode: number; json(): unknown }) {
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ code: 'FORBIDDEN', details: { reason: 'LINK_NEEDS_SESSION' } });
  }
});
