import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { FakeTwitch } from '../fakes/twitch-server.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { ownerWithLunaAndSol } from './familiar-world.js';

const TOKEN = 'twitchaccesstoken0123456789abcd';
const CLIENT = 'clientid0123456789';
const BOT = '111';
const A = '500';
const B = '600';
const VIEWER = { userId: '333', login: 'viewer' };

describe('Twitch channels per familiar, wired into the whole Hearth (issue #22)', () => {
  let t: TestHearth | undefined;
  let fake: FakeTwitch | undefined;
  let model: FakeOpenAI | undefined;
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(t?.logs.text);
    await t?.close();
    delete process.env.TWURPLE_MOCK_API_PORT;
    await fake?.close();
    await model?.close();
  });

  it('CH-4, MEM-2: channels added on the API are joined at once; each familiar sees only its own memories of the viewer', async () => {
    fake = new FakeTwitch(TOKEN, CLIENT, BOT);
    process.env.TWURPLE_MOCK_API_PORT = String(await fake.listen());
    model = await startFakeOpenAI({ fallback: { text: 'Noted.', usage: { prompt: 10, completion: 2 } } });
    t = await startTestHearth({
      env: {
        HEARTH_TWITCH_ACCESS_TOKEN: TOKEN,
        HEARTH_TWITCH_CLIENT_ID: CLIENT,
        HEARTH_TWITCH_BOT_USER_ID: BOT,
        HEARTH_TWITCH_ADMIT: 'everyone',
      },
    });
    const { headers, luna, sol } = await ownerWithLunaAndSol(t, model.url);
    // no broadcaster configured: the bot runs and joins nothing until a channel is added
    await expect.poll(() => t!.hearth.channels.running('twitch'), { timeout: 15_000 }).toBe(true);
    expect(fake.joined()).toEqual([]);

    const put = (payload: Record<string, unknown>, h: Record<string, string> = headers) =>
      t!.app.inject({ method: 'PUT', url: '/api/channels/twitch/channels', headers: h, payload });
    expect((await put({ broadcasterId: A, familiarId: 'luna', prefix: '!Luna' })).statusCode).toBe(200);
    expect((await put({ broadcasterId: B, familiarId: sol.id, prefix: '!sol' })).statusCode).toBe(200);
    await expect.poll(() => fake!.joined()).toEqual([A, B]);
    // validation: clear errors, nothing stored
    const bad = await put({ broadcasterId: 'streamer', familiarId: 'luna', prefix: '!x' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await put({ broadcasterId: '700', familiarId: 'luna', prefix: 'luna' })).statusCode).toBe(400);
    expect((await put({ broadcasterId: '700', familiarId: 'luna' })).json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect((await put({ broadcasterId: '700', familiarId: 'luna', prefix: '!familiar' })).statusCode).toBe(400);
    expect((await put({ broadcasterId: '700', familiarId: 'nobody', prefix: '!x' })).statusCode).toBe(404);
    const member = await t.hearth.identity.createUser({ name: 'mia', password: 'correct horse battery staple 2', role: 'member' });
    const memberKey = (await t.hearth.identity.createApiKey({ userId: member.id, scopes: ['read', 'write'] })).key;
    expect((await put({ broadcasterId: '700', familiarId: 'luna', prefix: '!x' }, { 'x-api-key': memberKey })).statusCode).toBe(403);
    const listed = (await t.app.inject({ method: 'GET', url: '/api/channels/twitch/channels', headers })).json() as { channels: unknown[] };
    expect(listed.channels).toEqual([
      { broadcasterId: A, familiarId: luna.id, prefix: '!luna', source: 'stored' },
      { broadcasterId: B, familiarId: sol.id, prefix: '!sol', source: 'stored' },
    ]);

    const ask = async (channel: string, text: string) => {
      const before = fake!.sent(channel).length;
      fake!.viewerSays({ broadcasterId: channel, ...VIEWER, text });
      await expect.poll(() => fake!.sent(channel).length).toBe(before + 1);
      return fake!.sent(channel).at(-1);
    };
    expect(await ask(A, '!luna hello')).toBe('@viewer Noted.');
    const person = (await t.hearth.channels.identities.find('twitch', VIEWER.userId))!.userId;
    await t.hearth.memory.repo.add({ userId: person, familiarId: luna.id, text: 'Drinks green tea every morning', provenance: 'person' });
    await t.hearth.memory.repo.add({ userId: person, familiarId: sol.id, text: 'Plays chess on Sundays', provenance: 'person' });
    await t.hearth.memory.repo.flush();
    const shown = () => JSON.stringify(model!.requests.at(-1)!.body.messages);

    await ask(A, '!luna what about tea and chess?');
    expect(shown()).toContain('You are Luna.');
    expect(shown()).toContain('green tea');
    expect(shown()).not.toContain('chess on Sundays');
    await ask(B, '!sol what about tea and chess?');
    expect(shown()).toContain('You are Sol.');
    expect(shown()).toContain('chess on Sundays');
    expect(shown()).not.toContain('green tea');
    // !memories in B whispers Sol's memories only
    const before = fake.whispers().length;
    fake.viewerSays({ broadcasterId: B, ...VIEWER, text: '!memories' });
    await expect.poll(() => fake!.whispers().length).toBe(before + 1);
    expect(fake.whispers().at(-1)?.text).toContain('chess on Sundays');
    expect(fake.whispers().at(-1)?.text).not.toContain('green tea');
    // one conversation per (person, familiar)
    const conversations = await t.hearth.conversations.list(person);
    expect(conversations.map((c) => c.familiarId).sort()).toEqual([luna.id, sol.id].sort());

    // leaving B: the subscription goes, and nothing more is answered there
    expect((await put({ broadcasterId: B, familiarId: null })).statusCode).toBe(200);
    await expect.poll(() => fake!.joined()).toEqual([A]);
    expect((await t.hearth.audit.list({ action: 'channel.twitch.channel' })).length).toBe(3);
  });
});
