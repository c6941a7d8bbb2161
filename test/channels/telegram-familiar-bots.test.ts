import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { loginCookie, STRONG } from '../identity/helpers.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { ownerWithLunaAndSol } from './familiar-world.js';

const MAIN_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const SOL_TOKEN = '555000111:SOLqTcvCH1vGWJxfSeofSAs0K5PALDsaw7';
/** A well-formed token Telegram does not know. */
const UNKNOWN_TOKEN = '444000222:NOPEcvCH1vGWJxfSeofSAs0K5PALDsaw1';
const OWNER_TG = { id: 7001, username: 'olive' };
const FRIEND = { id: 2002, username: 'friend' };
const STRANGER = { id: 4040, username: 'stranger' };
const ORIGIN = 'http://localhost:80';

/**
 * A familiar's own Telegram bot added on the dashboard API (issue #22): the whole Hearth, the main
 * bot and the familiar's bot served by the fake Bot API at one root, driven by the real grammY client.
 */
describe('#22 Telegram: a bot token per familiar, added and removed through the API without a restart', () => {
  const main = new FakeTelegram(MAIN_TOKEN, 'hearth_bot');
  const solBot = new FakeTelegram(SOL_TOKEN, 'sol_bot');
  let model: FakeOpenAI;
  let t: TestHearth;
  let headers: Record<string, string>;
  let lunaId = '';
  let solId = '';

  beforeAll(async () => {
    main.serve(solBot);
    const apiRoot = await main.listen();
    model = await startFakeOpenAI({ fallback: { text: 'Noted.', usage: { prompt: 10, completion: 2 } } });
    t = await startTestHearth({
      env: {
        HEARTH_TELEGRAM_BOT_TOKEN: MAIN_TOKEN,
        HEARTH_TELEGRAM_API_ROOT: apiRoot,
        HEARTH_TELEGRAM_ALLOWED_USERS: String(FRIEND.id),
        HEARTH_CHANNEL_FAMILIAR: 'luna',
      },
    });
    const world = await ownerWithLunaAndSol(t, model.url);
    const owner = world.owner;
    headers = world.headers;
    lunaId = world.luna.id;
    solId = world.sol.id;
    await t.hearth.channels.identities.link({ channel: 'telegram', externalId: String(OWNER_TG.id), userId: owner.id });
    for (let i = 0; i < 500 && !t.hearth.channels.running('telegram'); i++) await new Promise((r) => setTimeout(r, 20));
  }, 30_000);
  afterAll(async () => {
    await t?.close();
    await main.close();
    await model?.close();
  });

  const put = (familiar: string, payload: unknown, h: Record<string, string> = headers) =>
    t.app.inject({
      method: 'PUT',
      url: `/api/channels/telegram/bots/${familiar}`,
      headers: h,
      payload: payload as Record<string, unknown>,
    });
  const list = async () =>
    (await t.app.inject({ method: 'GET', url: '/api/channels/telegram/bots', headers })).json() as {
      bots: Array<{ familiarId: string; botId: string; username: string; running: boolean }>;
    };
  const sayTo = async (bot: FakeTelegram, from: { id: number; username: string }, text: string) => {
    const before = bot.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === String(from.id)).length;
    bot.userSays(from, text);
    return (await bot.messagesTo(from.id, before + 1)).at(-1)?.text ?? '';
  };
  const shown = () => JSON.stringify(model.requests.at(-1)!.body.messages);
  const responses: string[] = [];
  const kept = <T extends { body: string }>(r: T) => (responses.push(r.body), r);

  it('refuses bad tokens with clear errors, never echoing the token; only admins, and sessions need CSRF', async () => {
    const malformed = kept(await put('sol', { token: 'not-a-token-AAHdqTcvCH1vGWJxfSeof' }));
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ code: 'VALIDATION_FAILED', details: { reason: 'TELEGRAM_TOKEN_INVALID', field: 'token' } });
    expect(malformed.json().requestId).toBeTruthy();
    const rejected = kept(await put('sol', { token: UNKNOWN_TOKEN }));
    expect(rejected.statusCode).toBe(422);
    expect(rejected.json()).toMatchObject({ code: 'UNPROCESSABLE', details: { reason: 'TELEGRAM_TOKEN_REJECTED' } });
    const mainAgain = kept(await put('sol', { token: MAIN_TOKEN }));
    expect(mainAgain.statusCode).toBe(409);
    expect(mainAgain.json()).toMatchObject({ details: { reason: 'TELEGRAM_BOT_IN_USE' } });
    expect(kept(await put('nobody', { token: SOL_TOKEN })).statusCode).toBe(404);
    expect(kept(await put('sol', { token: SOL_TOKEN, extra: 1 })).statusCode).toBe(400);
    expect(kept(await put('sol', {})).statusCode).toBe(400);
    const member = await t.hearth.identity.createUser({ name: 'mia', password: STRONG, role: 'member' });
    const memberKey = (await t.hearth.identity.createApiKey({ userId: member.id, scopes: ['read', 'write'] })).key;
    expect(kept(await put('sol', { token: SOL_TOKEN }, { 'x-api-key': memberKey })).statusCode).toBe(403);
    const session = await loginCookie(t, 'olive');
    const noCsrf = kept(await put('sol', { token: SOL_TOKEN }, { cookie: session.cookie, origin: ORIGIN, host: 'localhost:80' }));
    expect(noCsrf.statusCode).toBe(403);
    expect(noCsrf.json()).toMatchObject({ code: 'CSRF_FAILED' });
    // nothing was stored, nothing polls Sol's bot
    expect((await list()).bots).toEqual([]);
    expect(solBot.polls).toBe(0);
  });

  it('a token added answers as that familiar at once, under the same admission; its memories are its own', async () => {
    const added = kept(await put('sol', { token: ` ${SOL_TOKEN} ` }));
    expect(added.statusCode).toBe(200);
    expect(added.json()).toMatchObject({ bot: { familiarId: solId, botId: '555000111', username: 'sol_bot' } });
    await expect.poll(async () => (await list()).bots.map((b) => b.running)).toEqual([true]);

    expect(await sayTo(solBot, FRIEND, 'hello sol')).toBe('Noted.');
    expect(shown()).toContain('You are Sol.');
    expect(await sayTo(main, FRIEND, 'hello luna')).toBe('Noted.');
    expect(shown()).toContain('You are Luna.');
    const person = (await t.hearth.channels.identities.find('telegram', String(FRIEND.id)))!.userId;
    await t.hearth.memory.repo.add({ userId: person, familiarId: lunaId, text: 'Drinks green tea every morning', provenance: 'person' });
    await t.hearth.memory.repo.add({ userId: person, familiarId: solId, text: 'Plays chess on Sundays', provenance: 'person' });
    await t.hearth.memory.repo.flush();
    await sayTo(solBot, FRIEND, 'what about tea and chess?');
    expect(shown()).toContain('chess on Sundays');
    expect(shown()).not.toContain('green tea');
    await sayTo(main, FRIEND, 'what about tea and chess?');
    expect(shown()).toContain('green tea');
    expect(shown()).not.toContain('chess on Sundays');
    // /familiar does not switch a familiar's own bot, and /memories there are Sol's
    expect(await sayTo(solBot, FRIEND, '/memories')).toContain('Plays chess on Sundays');
    // a stranger gets a pairing code from Sol's bot, as from the main bot
    expect(await sayTo(solBot, STRANGER, 'let me in')).toMatch(/pairing code/);
  });

  it('the approval buttons come through the asking familiar’s own bot, and a press there decides', async () => {
    const mia = (await t.hearth.identity.listUsers()).find((u) => u.name === 'mia')!;
    // a shell command of Sol's waiting for the owner (what the shell tool asks; no sandbox needed to decide it)
    const { view, outcome } = await t.hearth.approvals.request({
      command: 'printf SOL-42',
      reasons: ['not on the allowlist'],
      familiarId: solId,
      userId: mia.id,
      conversationId: 'conv-1',
    });
    const offered = (bot: FakeTelegram) =>
      bot.calls.some((c) => c.reply_markup?.inline_keyboard?.[0]?.some((b) => b.callback_data === view.nonce));
    await expect.poll(() => offered(solBot), { timeout: 10_000 }).toBe(true);
    expect(offered(main)).toBe(false);
    expect(String(solBot.calls.find((c) => c.reply_markup)?.chat_id)).toBe(String(OWNER_TG.id));
    // someone else pressing on Sol's bot changes nothing; the owner's press decides
    solBot.userPresses(FRIEND, view.nonce, { chatId: OWNER_TG.id });
    const [refused] = await solBot.callbackAnswers(1);
    expect(refused!.text).toMatch(/only the owner/i);
    solBot.userPresses(OWNER_TG, view.nonce);
    await expect(outcome).resolves.toEqual({ status: 'approved', command: 'printf SOL-42' });
    const [, answer] = await solBot.callbackAnswers(2);
    expect(answer!.text).toMatch(/^Approved/);
  });

  it('removed: the bot stops polling and answers nobody; the token was never in a response, a log or the database', async () => {
    const del = kept(await t.app.inject({ method: 'DELETE', url: '/api/channels/telegram/bots/sol', headers }));
    expect(del.statusCode).toBe(204);
    expect(kept(await t.app.inject({ method: 'DELETE', url: '/api/channels/telegram/bots/sol', headers })).statusCode).toBe(404);
    expect((await list()).bots).toEqual([]);
    await new Promise((r) => setTimeout(r, 1200)); // a poll in flight ends (the fake answers an idle poll within 0.5 s)
    const polls = solBot.polls;
    const sent = solBot.calls.length;
    const turns = model.requests.length;
    solBot.userSays(FRIEND, 'still there?');
    await new Promise((r) => setTimeout(r, 1200));
    expect(solBot.polls).toBe(polls);
    expect(solBot.calls.length).toBe(sent);
    expect(model.requests.length).toBe(turns);
    // the main bot goes on
    expect(await sayTo(main, FRIEND, 'and you?')).toBe('Noted.');

    const audit = [
      ...(await t.hearth.audit.list({ action: 'channel.bot.add' })),
      ...(await t.hearth.audit.list({ action: 'channel.bot.remove' })),
    ];
    expect(audit.map((e) => e.action).sort()).toEqual(['channel.bot.add', 'channel.bot.remove']);
    const secret = SOL_TOKEN.split(':')[1]!;
    for (const body of [...responses, JSON.stringify(audit)]) expect(body).not.toContain(secret);
    expect(t.logs.text).not.toContain(secret);
    expect(t.logs.text).not.toContain(UNKNOWN_TOKEN.split(':')[1]!);
    expect(t.logs.text).not.toContain('not-a-token');
    expect(t.logs.text).not.toContain(MAIN_TOKEN.split(':')[1]!);
  });

  it('the token is sealed in the vault at rest (only the sealed form is stored)', async () => {
    expect((await put('sol', { token: SOL_TOKEN })).statusCode).toBe(200);
    const rows = await sql<{ token_sealed: string }>`select token_sealed from telegram_familiar_bots`.execute(t.hearth.storage.db);
    expect(rows.rows).toHaveLength(1);
    expect(rows.rows[0]!.token_sealed).not.toContain(SOL_TOKEN.split(':')[1]!);
    await expect.poll(async () => (await list()).bots.map((b) => b.running)).toEqual([true]);
  });
});
