import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createFamiliarRouter, type FamiliarRouter, type FamiliarRouteTables } from '../../src/channels/familiars/index.js';
import { createTelegramAdapter } from '../../src/channels/telegram/index.js';
import { createTwitchAdapter } from '../../src/channels/twitch/index.js';
import type { Familiar } from '../../src/companions/index.js';
import { APP_ID, BOT_ID, FakeDiscord } from '../fakes/discord-server.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { FakeTwitch } from '../fakes/twitch-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';
import { discordAdapter } from './discord-harness.js';

/** Three familiars; `sol` only for the person `person_allowed` (allowedUsers), to check routes skip what a person may not use. */
const familiar = (id: string, slug: string, name: string, allowedUsers: string[] | null = null) =>
  ({ id, slug, name, allowedUsers }) as unknown as Familiar;
const FAMILIARS = [familiar('f_luna', 'luna', 'Luna'), familiar('f_sol', 'sol', 'Sol'), familiar('f_nox', 'nox', 'Nox', ['nobody'])];

function routerFor(h: ChannelHarness, env: string[] = []): FamiliarRouter {
  return createFamiliarRouter({
    db: h.db.storage.db.withTables<FamiliarRouteTables>(),
    familiars: {
      list: async () => FAMILIARS,
      get: async (id) => FAMILIARS.find((f) => f.id === id),
      canUse: (f, user) => f.allowedUsers === null || f.allowedUsers.includes(user.userId),
    },
    env,
    fallback: async () => 'f_luna',
    audit: h.audit,
    now: () => h.clock.now,
  });
}

/** Every reply names the familiar that gave it, so a test sees who answered where. */
const byFamiliar = (h: ChannelHarness) => {
  h.turns.reply = (req) => `[${req.familiarId}] ${req.text}`;
};

describe('several familiars on Telegram (issue #22)', () => {
  const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
  const SOL_TOKEN = '987654321:BBHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw9';
  const FRIEND = { id: 2002, username: 'friend' };
  const OTHER = { id: 2003, username: 'other' };
  let h: ChannelHarness;
  let fake: FakeTelegram;
  let solFake: FakeTelegram;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.telegram = { allowedIds: [String(FRIEND.id), String(OTHER.id)], ownerIds: [], pairing: true };
    byFamiliar(h);
    fake = new FakeTelegram(TOKEN);
    solFake = new FakeTelegram(SOL_TOKEN);
    const apiRoot = await fake.listen();
    const solRoot = await solFake.listen();
    adapter = createTelegramAdapter({
      token: TOKEN,
      hub: h.hub,
      logger: h.logger,
      scrubber: h.scrubber,
      apiRoot,
      familiars: routerFor(h),
      familiarBots: [{ familiar: 'sol', token: SOL_TOKEN, apiRoot: solRoot }],
    });
    await adapter.start();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(h.logs.text);
    await adapter.stop();
    await fake.close();
    await solFake.close();
    await h.close();
  });

  it('CH-2: /familiar NAME switches one chat; the other chat keeps the default; each familiar its own conversation', async () => {
    fake.userSays(FRIEND, 'hello');
    const [first] = await fake.messagesTo(FRIEND.id, 1);
    expect(first?.text).toBe('[f_luna] hello');
    fake.userSays(FRIEND, '/familiar');
    const [, info] = await fake.messagesTo(FRIEND.id, 2);
    expect(info?.text).toBe('You are talking with Luna. Also here: Sol. Switch with /familiar NAME.'); // Nox is not theirs to pick
    fake.userSays(FRIEND, '/familiar nox');
    const [, , refused] = await fake.messagesTo(FRIEND.id, 3);
    expect(refused?.text).toMatch(/^I know no familiar called “nox”/);
    fake.userSays(FRIEND, '/familiar SOL');
    const [, , , switched] = await fake.messagesTo(FRIEND.id, 4);
    expect(switched?.text).toBe('Sol answers you here from now on.');
    fake.userSays(FRIEND, 'and now?');
    fake.userSays(OTHER, 'me too');
    const [, , , , second] = await fake.messagesTo(FRIEND.id, 5);
    expect(second?.text).toBe('[f_sol] and now?');
    const [other] = await fake.messagesTo(OTHER.id, 1);
    expect(other?.text).toBe('[f_luna] me too');
    // the same chat key, but the turn stores conversations per (person, familiar)
    const turns = h.turns.requests.filter((r) => r.conversationKey === `telegram:chat:${FRIEND.id}`);
    expect(turns.map((r) => r.familiarId)).toEqual(['f_luna', 'f_sol']);
    const [audit] = await h.audit.list({ action: 'channel.familiar.set' });
    expect(audit).toMatchObject({ target: `telegram:chat:${FRIEND.id}`, outcome: 'success' });
  });

  it("CH-2: a familiar's own bot answers only as that familiar, under the same allowlist; /familiar does not switch it", async () => {
    solFake.userSays(FRIEND, 'hi sol');
    const [msg] = await solFake.messagesTo(FRIEND.id, 1);
    expect(msg?.text).toBe('[f_sol] hi sol');
    solFake.userSays(FRIEND, '/familiar luna');
    const [, still] = await solFake.messagesTo(FRIEND.id, 2);
    expect(still?.text).toBe('[f_sol] /familiar luna'); // not a command on a familiar's own bot: it is that familiar's turn
    solFake.userSays({ id: 4040, username: 'stranger' }, 'let me in');
    const [code] = await solFake.messagesTo(4040, 1);
    expect(code?.text).toMatch(/pairing code/);
    // the main bot never answered any of it
    expect(fake.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(0);
    expect(h.turns.requests.every((r) => r.familiarId === 'f_sol')).toBe(true);
    expect(h.logs.text).not.toContain(SOL_TOKEN);
  });
});

describe('several familiars on Discord (issue #22)', () => {
  const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
  const GUILD_A = { id: '100000000000000001', channelId: '100000000000000011' };
  const GUILD_B = { id: '200000000000000002', channelId: '200000000000000022' };
  const SOL_ROLE = '700000000000000007';
  const MEMBER = '400000000000000004';
  const DM = '900000000000000009';
  let h: ChannelHarness;
  let fake: FakeDiscord;
  let adapter: ChannelAdapter;
  let router: FamiliarRouter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [MEMBER], ownerIds: [], pairing: true };
    byFamiliar(h);
    fake = new FakeDiscord(TOKEN, [GUILD_A, GUILD_B]);
    await fake.listen();
    // guild B answers with Sol by environment; Sol also has a role
    router = routerFor(h, [`discord:guild:${GUILD_B.id}=sol`, `discord:role:${SOL_ROLE}=sol`]);
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [GUILD_A.id, GUILD_B.id],
      familiars: router,
    });
    await adapter.start();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(h.logs.text);
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  const sentTo = (channelId: string) => (c: { method: string; path: string }) =>
    c.method === 'POST' && c.path === `/channels/${channelId}/messages`;
  const contents = (channelId: string) => fake.calls.filter(sentTo(channelId)).map((c) => String(c.body!.content));

  it('CH-3: a default per guild and per channel; a familiar answers when mentioned by name or by its role', async () => {
    const [reg] = await fake.waitFor((c) => c.method === 'PUT' && c.path === `/applications/${APP_ID}/commands`);
    expect((reg!.body as unknown as Array<{ name: string }>).map((c) => c.name)).toContain('familiar');
    const say = (guild: typeof GUILD_A, content: string, mention = true) =>
      fake.userSays({ userId: MEMBER, guildId: guild.id, channelId: guild.channelId, content, mention });
    say(GUILD_A, `<@${BOT_ID}> hello`);
    await fake.waitFor(sentTo(GUILD_A.channelId), 1);
    say(GUILD_B, `<@${BOT_ID}> hello`);
    await fake.waitFor(sentTo(GUILD_B.channelId), 1);
    say(GUILD_A, `<@${BOT_ID}> Sol, are you there?`);
    await fake.waitFor(sentTo(GUILD_A.channelId), 2);
    say(GUILD_A, `<@&${SOL_ROLE}> what time is it?`, false); // the role alone, no bot mention
    await fake.waitFor(sentTo(GUILD_A.channelId), 3);
    say(GUILD_A, 'nobody mentioned', false); // neither the bot nor a familiar's role: ignored
    // a channel route beats its guild's default
    await router.set('discord', `channel:${GUILD_B.channelId}`, 'f_luna', { type: 'system' });
    say(GUILD_B, `<@${BOT_ID}> again`);
    await fake.waitFor(sentTo(GUILD_B.channelId), 2);
    expect(contents(GUILD_A.channelId)).toEqual(['[f_luna] hello', '[f_sol] Sol, are you there?', '[f_sol] what time is it?']);
    expect(contents(GUILD_B.channelId)).toEqual(['[f_sol] hello', '[f_luna] again']);
    expect(h.turns.requests).toHaveLength(5);
  });

  it('CH-3: /familiar in a DM picks the person’s familiar there; in a server only an admin may set it', async () => {
    fake.slash({ userId: MEMBER, channelId: DM, name: 'familiar', options: [{ name: 'name', value: 'Sol' }] });
    const [picked] = await fake.waitFor((c) => c.method === 'PATCH' && c.path.includes('/messages/@original'));
    expect(picked!.body!.content).toBe('Sol answers you here from now on.');
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'hi in private' });
    const [dm] = await fake.waitFor(sentTo(DM));
    expect(dm!.body!.content).toBe('[f_sol] hi in private');
    fake.slash({
      userId: MEMBER,
      guildId: GUILD_A.id,
      channelId: GUILD_A.channelId,
      name: 'familiar',
      options: [{ name: 'name', value: 'Sol' }],
    });
    const [, refused] = await fake.waitFor((c) => c.method === 'PATCH' && c.path.includes('/messages/@original'), 2);
    expect(refused!.body!.content).toMatch(/^Only an admin can choose/);
    fake.userSays({ userId: MEMBER, guildId: GUILD_A.id, channelId: GUILD_A.channelId, content: `<@${BOT_ID}> hi`, mention: true });
    const [guild] = await fake.waitFor(sentTo(GUILD_A.channelId));
    expect(guild!.body!.content).toBe('[f_luna] hi'); // the DM choice stays in the DM
  });
});

describe('several familiars on Twitch (issue #22)', () => {
  const TOKEN = 'twitchaccesstoken0123456789abcd';
  const CLIENT = 'clientid0123456789';
  const BOT = '111';
  const BROADCASTER = '222';
  let h: ChannelHarness;
  let fake: FakeTwitch;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    byFamiliar(h);
    fake = new FakeTwitch(TOKEN, CLIENT, BOT);
    process.env.TWURPLE_MOCK_API_PORT = String(await fake.listen());
    const router = routerFor(h, [`twitch:broadcaster:${BROADCASTER}=luna`, 'twitch:prefix:!sol=sol']);
    adapter = createTwitchAdapter({
      token: TOKEN,
      clientId: CLIENT,
      botUserId: BOT,
      broadcasterId: BROADCASTER,
      hub: h.hub,
      logger: h.logger,
      scrubber: h.scrubber,
      admit: 'everyone',
      familiars: router,
    });
    await adapter.start();
  });
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(h.logs.text, JSON.stringify(fake.calls));
    await adapter.stop();
    delete process.env.TWURPLE_MOCK_API_PORT;
    await fake.close();
    await h.close();
  });

  it("CH-4: !ask goes to the channel's familiar, each familiar's own prefix to it; other words are not for either", async () => {
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!ask who are you?' });
    await expect.poll(() => fake.sent().length).toBe(1);
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!sol and you?' });
    await expect.poll(() => fake.sent().length).toBe(2);
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!solar power' });
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!ask last' });
    await expect.poll(() => fake.sent().length).toBe(3);
    expect(fake.sent()).toEqual(['@viewer [f_luna] who are you?', '@viewer [f_sol] and you?', '@viewer [f_luna] last']);
  });
});
