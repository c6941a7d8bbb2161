import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { ownerWithLunaAndSol } from './familiar-world.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const FRIEND = { id: 2002, username: 'friend' };

describe('several familiars wired into the whole Hearth (issue #22)', () => {
  let t: TestHearth | undefined;
  let fake: FakeTelegram | undefined;
  let model: FakeOpenAI | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(t?.logs.text);
    await t?.close();
    await fake?.close();
    await model?.close();
  });

  it('CH-2, MEM-2: on Telegram each familiar sees only its own memories of the person, in its own conversation; the admin API shows and sets routes', async () => {
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    model = await startFakeOpenAI({ fallback: { text: 'Noted.', usage: { prompt: 10, completion: 2 } } });
    t = await startTestHearth({
      env: {
        HEARTH_TELEGRAM_BOT_TOKEN: TOKEN,
        HEARTH_TELEGRAM_API_ROOT: apiRoot,
        HEARTH_TELEGRAM_ALLOWED_USERS: String(FRIEND.id),
        HEARTH_CHANNEL_FAMILIAR: 'luna',
        HEARTH_CHANNEL_FAMILIARS: 'discord:guild:123456=sol',
      },
    });
    const system = { type: 'system' as const };
    const { headers, luna, sol } = await ownerWithLunaAndSol(t, model.url);
    await expect.poll(() => t!.hearth.channels.running('telegram')).toBe(true);
    const say = async (text: string) => {
      const before = fake!.calls.filter((c) => c.method === 'sendMessage').length;
      fake!.userSays(FRIEND, text);
      return (await fake!.messagesTo(FRIEND.id, before + 1)).at(-1)?.text ?? '';
    };

    expect(await say('hello')).toBe('Noted.');
    const person = (await t.hearth.channels.identities.find('telegram', String(FRIEND.id)))!.userId;
    await t.hearth.memory.repo.add({ userId: person, familiarId: luna.id, text: 'Drinks green tea every morning', provenance: 'person' });
    await t.hearth.memory.repo.add({ userId: person, familiarId: sol.id, text: 'Plays chess on Sundays', provenance: 'person' });
    await t.hearth.memory.repo.flush();
    const shown = () => JSON.stringify(model!.requests.at(-1)!.body.messages);

    await say('what about tea and chess?');
    expect(shown()).toContain('You are Luna.');
    expect(shown()).toContain('green tea');
    expect(shown()).not.toContain('chess on Sundays');

    expect(await say('/familiar sol')).toBe('Sol answers you here from now on.');
    await say('what about tea and chess?');
    expect(shown()).toContain('You are Sol.');
    expect(shown()).toContain('chess on Sundays');
    expect(shown()).not.toContain('green tea');

    // the memory commands follow the chat's familiar too
    const memories = await say('/memories');
    expect(memories).toContain('Plays chess on Sundays');
    expect(memories).not.toContain('green tea');
    expect(await say('/remember I live by the sea')).toBe('Noted. I will remember that.');
    const kept = await t.hearth.memory.repo.list({ userId: person, familiarId: sol.id, limit: 10 });
    expect(kept.map((m) => m.text)).toContain('I live by the sea');
    const lunas = (await t.hearth.memory.repo.list({ userId: person, familiarId: luna.id, limit: 20 })).map((m) => m.text);
    expect(lunas).toContain('Drinks green tea every morning');
    expect(lunas).not.toContain('I live by the sea');

    // /usage tells voice minutes too
    await t.hearth.voiceBudgets.set({ kind: 'person', userId: person }, { minutesPerDay: 5, minutesPerMonth: null }, system);
    expect(await say('/usage')).toMatch(/^Yours today: 5 of 5 voice minutes left \(resets \d{4}-\d{2}-\d{2} 00:00 UTC\)$/);

    // one conversation per (person, familiar), under the same chat
    const conversations = await t.hearth.conversations.list(person);
    expect(conversations.map((c) => c.familiarId).sort()).toEqual([luna.id, sol.id].sort());

    const routes = await t.app.inject({ method: 'GET', url: '/api/channels/familiars', headers });
    expect(routes.statusCode).toBe(200);
    const body = routes.json() as { routes: unknown[]; defaults: Array<{ channel: string; familiarId: string }> };
    expect(body.routes).toEqual(
      expect.arrayContaining([
        { channel: 'telegram', place: `chat:${FRIEND.id}`, familiarId: sol.id, source: 'stored' },
        { channel: 'discord', place: 'guild:123456', familiarId: sol.id, source: 'env' },
      ]),
    );
    expect(body.defaults.find((d) => d.channel === 'telegram')?.familiarId).toBe(luna.id);

    const put = (payload: Record<string, unknown>, h: Record<string, string> = headers) =>
      t!.app.inject({ method: 'PUT', url: '/api/channels/familiars', headers: h, payload });
    expect((await put({ channel: 'telegram', place: 'default', familiarId: 'sol' })).statusCode).toBe(200);
    expect((await put({ channel: 'telegram', place: 'default', familiarId: 'nobody' })).statusCode).toBe(404);
    expect((await put({ channel: 'telegram', place: 'chat:1=x', familiarId: 'sol' })).statusCode).toBe(400);
    expect((await put({ channel: 'twitch', place: 'prefix:ask', familiarId: 'sol' })).statusCode).toBe(400);
    expect((await put({ channel: 'web', place: 'default', familiarId: 'sol' })).statusCode).toBe(400);
    // a member may neither read nor set routes
    const member = await t.hearth.identity.createUser({ name: 'mia', password: 'correct horse battery staple 2', role: 'member' });
    const memberKey = (await t.hearth.identity.createApiKey({ userId: member.id, scopes: ['read', 'write'] })).key;
    expect((await put({ channel: 'telegram', place: 'default', familiarId: 'luna' }, { 'x-api-key': memberKey })).statusCode).toBe(403);
    const after = (await t.app.inject({ method: 'GET', url: '/api/channels/familiars', headers })).json() as typeof body;
    expect(after.defaults.find((d) => d.channel === 'telegram')?.familiarId).toBe(sol.id);
    expect((await t.hearth.audit.list({ action: 'channel.familiar.set' })).length).toBe(2);
  });
});
