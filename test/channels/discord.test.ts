import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { discordInviteUrl } from '../../src/channels/discord/index.js';
import { personCommandsOver } from '../../src/channels/index.js';
import { createMemoryRepository } from '../../src/memory/index.js';
import { APP_ID, BOT_ID, FakeDiscord } from '../fakes/discord-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';
import { discordAdapter } from './discord-harness.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const ROLE = '600000000000000006';
const ALLOWED = { id: '100000000000000001', channelId: '100000000000000011', roleIds: [ROLE] };
const OTHER = { id: '200000000000000002', channelId: '200000000000000022' };
const OWNER = '300000000000000003';
const MEMBER = '400000000000000004';
const STRANGER = '500000000000000005';

describe('Discord adapter against a fake REST + gateway (CH-3, LLM-3)', () => {
  let h: ChannelHarness;
  let fake: FakeDiscord;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [], ownerIds: [OWNER], pairing: true };
    fake = new FakeDiscord(TOKEN, [ALLOWED, OTHER]);
    await fake.listen();
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [ALLOWED.id],
      requiredRoleId: ROLE,
      personCommands: personCommandsOver(createMemoryRepository({ storage: h.db.storage }), async () => 'fam1'),
    });
    h.notifiers.push((c, id, text) => (c === 'discord' ? adapter.deliver(id, text) : Promise.resolve()));
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  const sent = (channelId: string) => (c: { method: string; path: string }) =>
    c.method === 'POST' && c.path === `/channels/${channelId}/messages`;

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(h.logs.text);
  });

  it('CH-3: registers the slash commands; a member with the role chats; @everyone and role mentions ping nobody', async () => {
    const [reg] = await fake.waitFor((c) => c.method === 'PUT' && c.path === `/applications/${APP_ID}/commands`);
    expect((reg!.body as unknown as Array<{ name: string }>).map((c) => c.name)).toEqual([
      'ask',
      'remember',
      'memories',
      'why',
      'forget',
      'export',
      'link',
      'pairings',
      'approve',
      'deny',
    ]);
    h.turns.reply = () => 'Hey @everyone and @here and <@&123456789012345678>! [x](javascript:alert`1`)';
    fake.userSays({
      userId: MEMBER,
      guildId: ALLOWED.id,
      channelId: ALLOWED.channelId,
      content: `<@${BOT_ID}> hi`,
      roles: [ROLE],
      mention: true,
    });
    const [msg] = await fake.waitFor(sent(ALLOWED.channelId));
    expect(msg!.body!.allowed_mentions).toEqual({ parse: [], replied_user: false });
    const content = String(msg!.body!.content);
    expect(content).not.toMatch(/@everyone|@here|<@&\d+>|javascript:/);
    expect(h.turns.requests[0]).toMatchObject({ channel: 'discord', text: 'hi', conversationKey: `discord:channel:${ALLOWED.channelId}` });
  });

  it('CH-3: a guild not on the list is ignored, and a member without the required role is refused (audited)', async () => {
    fake.userSays({
      userId: MEMBER,
      guildId: OTHER.id,
      channelId: OTHER.channelId,
      content: `<@${BOT_ID}> hi`,
      roles: [ROLE],
      mention: true,
    });
    fake.userSays({
      userId: STRANGER,
      guildId: ALLOWED.id,
      channelId: ALLOWED.channelId,
      content: `<@${BOT_ID}> hi`,
      roles: [],
      mention: true,
    });
    await expect.poll(async () => (await h.audit.list({ action: 'channel.command' })).length).toBe(1);
    fake.userSays({
      userId: MEMBER,
      guildId: ALLOWED.id,
      channelId: ALLOWED.channelId,
      content: `<@${BOT_ID}> after`,
      roles: [ROLE],
      mention: true,
    });
    await fake.waitFor(sent(ALLOWED.channelId));
    expect(fake.calls.filter(sent(OTHER.channelId))).toHaveLength(0);
    expect(h.turns.requests.map((r) => r.text)).toEqual(['after']);
  });

  it('CH-3: a stranger DMs, gets a pairing code, the owner approves with /approve, the stranger chats', async () => {
    const dm = `dm${STRANGER}`;
    fake.userSays({ userId: STRANGER, channelId: dm, content: 'let me in' });
    const [pairing] = await fake.waitFor(sent(dm));
    const code = /code: ([A-Z0-9]{8})/.exec(String(pairing!.body!.content))![1]!;
    fake.slash({ userId: STRANGER, channelId: dm, name: 'approve', options: [{ name: 'code', value: code }] });
    await expect.poll(async () => (await h.audit.list({ action: 'channel.command' })).length).toBe(1);
    fake.slash({
      userId: OWNER,
      guildId: ALLOWED.id,
      channelId: ALLOWED.channelId,
      name: 'approve',
      options: [{ name: 'code', value: code }],
    });
    const edits = await fake.waitFor((c) => c.method === 'PATCH' && c.path.endsWith('/messages/@original'), 2);
    expect(String(edits[0]!.body!.content)).toBe('Only the owner can do that.');
    expect(String(edits[1]!.body!.content)).toContain('approved');
    await fake.waitFor(sent(dm), 2); // "the owner approved you", over a DM the adapter opened
    fake.userSays({ userId: STRANGER, channelId: dm, content: 'thanks' });
    await fake.waitFor(sent(dm), 3);
    expect(h.turns.requests.map((r) => r.text)).toEqual(['thanks']);
  });

  it('CH-3: /ask answers ephemerally for a member; /export without a memory service says so', async () => {
    fake.slash({
      userId: MEMBER,
      guildId: ALLOWED.id,
      channelId: ALLOWED.channelId,
      name: 'ask',
      options: [{ name: 'text', value: 'question' }],
      roles: [ROLE],
    });
    const [callback] = await fake.waitFor((c) => c.path.endsWith('/callback'));
    expect(callback!.body).toMatchObject({ type: 5, data: { flags: 64 } });
    const [edit] = await fake.waitFor((c) => c.method === 'PATCH');
    expect(edit!.body!.content).toBe('echo: question');
    expect(edit!.body!.allowed_mentions).toEqual({ parse: [], replied_user: false });
  });

  it("CH-3: /remember, /export, /forget act on the caller's own memories only", async () => {
    const edits = () => fake.calls.filter((c) => c.method === 'PATCH').map((c) => String(c.body?.content));
    const as = (userId: string, name: string, text?: string) =>
      fake.slash({
        userId,
        guildId: ALLOWED.id,
        channelId: ALLOWED.channelId,
        name,
        roles: [ROLE],
        ...(text ? { options: [{ name: 'text', value: text }] } : {}),
      });
    as(MEMBER, 'remember', 'I like tea @everyone');
    await expect.poll(() => edits().length).toBe(1);
    as(OWNER, 'export');
    await expect.poll(() => edits().length).toBe(2);
    as(MEMBER, 'export');
    await expect.poll(() => edits().length).toBe(3);
    as(MEMBER, 'forget');
    await expect.poll(() => edits().length).toBe(4);
    as(MEMBER, 'export');
    await expect.poll(() => edits().length).toBe(5);
    const [remembered, ownerExport, mine, forgot, after] = edits();
    expect(remembered).toContain('remember');
    expect(ownerExport).toBe('I remember nothing about you yet.');
    expect(mine).toContain('I like tea');
    expect(mine).not.toContain('@everyone');
    expect(forgot).toBe('Forgotten: 1 memory.');
    expect(after).toBe('I remember nothing about you yet.');
  });

  it('SEC: a discord.js error carrying the token is logged without it', async () => {
    fake.failNextMessage = { status: 403, message: `Missing Access for Bot ${TOKEN} (${TOKEN})` };
    fake.userSays({
      userId: MEMBER,
      guildId: ALLOWED.id,
      channelId: ALLOWED.channelId,
      content: `<@${BOT_ID}> hi`,
      roles: [ROLE],
      mention: true,
    });
    await expect.poll(() => h.logs.lines.some((l) => l.includes('discord message failed'))).toBe(true);
    expect(h.logs.text).toContain('DiscordAPIError');
    expect(h.logs.text).not.toContain(TOKEN);
    expect(h.logs.text).not.toContain(TOKEN.split('.')[2]);
  });

  it('CH-3: the invite URL asks only for bot + applications.commands and View Channels + Send Messages', () => {
    expect(discordInviteUrl(APP_ID)).toBe(
      `https://discord.com/oauth2/authorize?client_id=${APP_ID}&scope=bot+applications.commands&permissions=3072`,
    );
  });
});
