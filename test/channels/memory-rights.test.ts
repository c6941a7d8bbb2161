import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { personCommandsOver } from '../../src/channels/index.js';
import { createTelegramAdapter } from '../../src/channels/telegram/index.js';
import { createTwitchAdapter } from '../../src/channels/twitch/index.js';
import { createConversationStore } from '../../src/companions/conversations.js';
import { createMemoryRepository } from '../../src/memory/index.js';
import { FakeDiscord } from '../fakes/discord-server.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { FakeTwitch } from '../fakes/twitch-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';
import { discordAdapter } from './discord-harness.js';

const FAMILIAR = 'fam1';

/** Real memory repository and conversation store over the harness's database, behind the person commands. */
function rightsOver(h: ChannelHarness) {
  const repo = createMemoryRepository({ storage: h.db.storage });
  const conversations = createConversationStore({ storage: h.db.storage, now: () => h.clock.now, conversationData: () => [] });
  const commands = personCommandsOver(repo, async () => FAMILIAR, h.audit, conversations);
  return { repo, conversations, commands };
}

describe('#21 memory rights on Discord (slash commands, ephemeral replies; MEM-2, DATA-4, DATA-5)', () => {
  const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
  const GUILD = { id: '100000000000000001', channelId: '100000000000000011' };
  const ALICE = '400000000000000004';
  const BOB = '400000000000000005';
  let h: ChannelHarness;
  let fake: FakeDiscord;
  let adapter: ChannelAdapter;
  let rights: ReturnType<typeof rightsOver>;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [], ownerIds: [], pairing: true };
    fake = new FakeDiscord(TOKEN, [GUILD]);
    await fake.listen();
    rights = rightsOver(h);
    adapter = discordAdapter(h, fake, {
      token: TOKEN,
      guildIds: [GUILD.id],
      personCommands: rights.commands,
    });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  const edits = () => fake.calls.filter((c) => c.method === 'PATCH' && c.path.endsWith('/messages/@original'));
  /** Runs one slash command as `userId` and returns its (ephemeral) reply. */
  const slash = async (userId: string, name: string, options: Array<{ name: string; value: string | number }> = []) => {
    const before = edits().length;
    fake.slash({ userId, guildId: GUILD.id, channelId: GUILD.channelId, name, options });
    await expect.poll(() => edits().length).toBe(before + 1);
    return edits().at(-1)!;
  };
  const say = async (userId: string, name: string, options: Array<{ name: string; value: string | number }> = []) =>
    String((await slash(userId, name, options)).body?.content);
  const personOf = async (externalId: string) => (await h.identities.find('discord', externalId))!.userId;

  it('#21 /memories pages what it remembers about the caller only; every reply is ephemeral', async () => {
    for (let i = 1; i <= 12; i++) await say(ALICE, 'remember', [{ name: 'text', value: `alice fact ${i}` }]);
    await say(BOB, 'remember', [{ name: 'text', value: 'bob secret' }]);
    const page1 = await say(ALICE, 'memories');
    expect(page1).toContain('1. alice fact 12');
    expect(page1).toContain('10. alice fact 3');
    expect(page1).toContain('/memories 2');
    expect(page1).not.toContain('bob');
    const page2 = await say(ALICE, 'memories', [{ name: 'page', value: 2 }]);
    expect(page2).toContain('11. alice fact 2');
    expect(page2).toContain('12. alice fact 1');
    expect(await say(BOB, 'memories')).not.toContain('alice');
    const deferred = fake.calls.filter((c) => c.path.endsWith('/callback'));
    expect(deferred.every((c) => (c.body as { data?: { flags?: number } }).data?.flags === 64)).toBe(true);
    const reads = await h.audit.list({ action: 'memory.read' });
    expect(reads.map((e) => e.details?.page)).toEqual(expect.arrayContaining([1, 2]));
  });

  it('#21 /why N tells the origin, channel, time and the turn a memory came from', async () => {
    await say(ALICE, 'remember', [{ name: 'text', value: 'I like green tea' }]);
    const alice = await personOf(ALICE);
    const conv = await rights.conversations.create({ userId: alice, familiarId: FAMILIAR, channel: 'telegram' });
    const msg = await rights.conversations.addMessage({
      conversationId: conv.id,
      userId: alice,
      role: 'user',
      content: 'I moved to Lisbon last spring',
      status: 'complete',
    });
    await rights.repo.add({
      userId: alice,
      familiarId: FAMILIAR,
      text: 'Lives in Lisbon',
      provenance: 'familiar',
      sourceRef: `conversation:${conv.id}/message:${msg.id}`,
    });
    const why1 = await say(ALICE, 'why', [{ name: 'memory', value: '1' }]);
    expect(why1).toContain('Lives in Lisbon');
    expect(why1).toContain('a conversation on telegram');
    expect(why1).toContain('I moved to Lisbon last spring');
    const why2 = await say(ALICE, 'why', [{ name: 'memory', value: '2' }]);
    expect(why2).toContain('you told me');
    expect(why2).toContain('you said it on discord');
    expect(await h.audit.list({ action: 'memory.explain' })).toHaveLength(2);
  });

  it("#21 attack: Bob can never see, explain, forget or export Alice's memories, by number, id or a forged source", async () => {
    await say(ALICE, 'remember', [{ name: 'text', value: 'alice private diary' }]);
    const alice = await personOf(ALICE);
    const [aliceMemory] = await rights.repo.list({ userId: alice });
    const conv = await rights.conversations.create({ userId: alice, familiarId: FAMILIAR, channel: 'web' });
    const msg = await rights.conversations.addMessage({
      conversationId: conv.id,
      userId: alice,
      role: 'user',
      content: 'alice turn text',
      status: 'complete',
    });
    await say(BOB, 'remember', [{ name: 'text', value: 'bob note' }]);
    const bob = await personOf(BOB);
    // a memory of Bob's whose source names Alice's conversation: it must not open it
    await rights.repo.add({
      userId: bob,
      familiarId: FAMILIAR,
      text: 'forged',
      provenance: 'external',
      sourceRef: `conversation:${conv.id}/message:${msg.id}`,
    });

    for (const which of [aliceMemory!.id, '3', '0', '-1', '../x', 'x'.repeat(100)]) {
      expect(await say(BOB, 'why', [{ name: 'memory', value: which }])).toMatch(/^I have no memory/);
      expect(await say(BOB, 'forget', [{ name: 'memory', value: which }])).toMatch(/^I have no memory/);
    }
    const forged = await say(BOB, 'why', [{ name: 'memory', value: '1' }]);
    expect(forged).toContain('since been deleted');
    expect(forged).not.toContain('alice');
    const bobExport = await slash(BOB, 'export');
    expect(JSON.stringify(bobExport)).not.toContain('alice');
    expect(await say(BOB, 'forget', [{ name: 'memory', value: 'everything' }])).toBe('Forgotten: 2 memories.');

    expect((await rights.repo.get(alice, aliceMemory!.id))?.text).toBe('alice private diary');
    expect(await say(ALICE, 'memories')).toContain('alice private diary');
  });

  it('#21 /forget N forgets one, /forget everything the rest; each deletion audited', async () => {
    for (const t of ['one', 'two', 'three']) await say(ALICE, 'remember', [{ name: 'text', value: t }]);
    expect(await say(ALICE, 'forget', [{ name: 'memory', value: '2' }])).toBe('Forgotten: “two”');
    expect(await say(ALICE, 'memories')).not.toContain('two');
    expect(await say(ALICE, 'forget', [{ name: 'memory', value: 'everything' }])).toBe('Forgotten: 2 memories.');
    expect(await say(ALICE, 'memories')).toBe('I remember nothing about you yet.');
    const deletes = await h.audit.list({ action: 'memory.delete' });
    expect(deletes).toHaveLength(3);
    expect(deletes.every((e) => e.actor.type === 'channel' && e.details?.source === 'discord')).toBe(true);
  });

  it('#21 /export sends the memories as a file in the ephemeral reply, with provenance and history; audited', async () => {
    await say(ALICE, 'remember', [{ name: 'text', value: 'likes <b>owls</b> @everyone' }]);
    const reply = await slash(ALICE, 'export');
    expect(reply.files).toHaveLength(1);
    const file = reply.files![0]!;
    expect(file.name).toBe('hearth-memories.json');
    const data = JSON.parse(file.content) as { memories: Array<{ text: string; provenance: string; history: unknown[] }> };
    expect(data.memories).toEqual([expect.objectContaining({ text: 'likes <b>owls</b> @everyone', provenance: 'person' })]);
    expect(data.memories[0]!.history).toHaveLength(1);
    expect((reply.body as { allowed_mentions?: unknown }).allowed_mentions).toEqual({ parse: [], replied_user: false });
    expect(await h.audit.list({ action: 'memory.export' })).toHaveLength(1);
  });
});

describe('#21 memory rights on Telegram (private chat; MEM-2, DATA-4)', () => {
  const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
  const ALICE = { id: 2002, username: 'alice' };
  const BOB = { id: 2003, username: 'bob' };
  const STRANGER = { id: 3003, username: 'stranger' };
  let h: ChannelHarness;
  let fake: FakeTelegram;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.rules.telegram = { allowedIds: [String(ALICE.id), String(BOB.id)], ownerIds: [], pairing: true };
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    adapter = createTelegramAdapter({
      token: TOKEN,
      hub: h.hub,
      logger: h.logger,
      scrubber: h.scrubber,
      apiRoot,
      personCommands: rightsOver(h).commands,
    });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  const say = async (from: { id: number; username: string }, text: string) => {
    const before = fake.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === String(from.id)).length;
    fake.userSays(from, text);
    return (await fake.messagesTo(from.id, before + 1)).at(-1)?.text ?? '';
  };

  it('#21 /remember, /memories, /why, /forget N and /forget everything, each for the caller only, without a turn', async () => {
    await say(ALICE, '/remember I keep bees');
    await say(ALICE, '/remember I play the cello');
    await say(BOB, '/remember bob only');
    const list = await say(ALICE, '/memories');
    expect(list).toContain('1. I play the cello');
    expect(list).not.toContain('bob');
    expect(await say(ALICE, '/why 2')).toContain('you said it on telegram');
    expect(await say(BOB, '/why 2')).toMatch(/^I have no memory/);
    expect(await say(ALICE, '/forget')).toContain('Usage');
    expect(await say(ALICE, '/forget 1')).toContain('I play the cello');
    expect(await say(ALICE, '/forget everything')).toBe('Forgotten: 1 memory.');
    expect(await say(BOB, '/memories')).toContain('bob only');
    expect(h.turns.requests).toHaveLength(0);
  });

  it('#21 /export sends a JSON file to the caller’s own private chat; a stranger gets a pairing code, not memories', async () => {
    await say(ALICE, '/remember I keep bees');
    await say(ALICE, '/export');
    await expect.poll(() => fake.calls.filter((c) => c.method === 'sendDocument').length).toBe(1);
    const doc = fake.calls.find((c) => c.method === 'sendDocument')!;
    expect(String(doc.chat_id)).toBe(String(ALICE.id));
    expect(doc.document?.name).toBe('hearth-memories.json');
    expect(JSON.parse(doc.document!.content).memories[0].text).toBe('I keep bees');
    expect(await say(STRANGER, '/export')).toMatch(/code/i);
    expect(fake.calls.filter((c) => c.method === 'sendDocument')).toHaveLength(1);
  });
});

describe('#21 memory rights on Twitch (answered by whisper only; MEM-2, DATA-4)', () => {
  const TOKEN = 'twitchaccesstoken0123456789abcd';
  const CLIENT = 'clientid0123456789';
  const BOT = '111';
  const BROADCASTER = '222';
  let h: ChannelHarness;
  let fake: FakeTwitch;
  let adapter: ChannelAdapter;
  let rights: ReturnType<typeof rightsOver>;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    fake = new FakeTwitch(TOKEN, CLIENT, BOT);
    process.env.TWURPLE_MOCK_API_PORT = String(await fake.listen());
    rights = rightsOver(h);
    adapter = createTwitchAdapter({
      token: TOKEN,
      clientId: CLIENT,
      botUserId: BOT,
      broadcasterId: BROADCASTER,
      hub: h.hub,
      logger: h.logger,
      scrubber: h.scrubber,
      admit: 'everyone',
      personCommands: rights.commands,
    });
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    delete process.env.TWURPLE_MOCK_API_PORT;
    await fake.close();
    await h.close();
  });

  it('#21 !memories, !why, !forget and !export are whispered to the viewer, never said in chat', async () => {
    const viewer = { broadcasterId: BROADCASTER, userId: '333', login: 'viewer' };
    /** One chat line, then the whisper it earns (handlers run concurrently, so one at a time). */
    const whisperFor = async (userId: string, text: string) => {
      const before = fake.whispers().length;
      fake.viewerSays({ ...viewer, userId, login: `v${userId}`, text });
      await expect.poll(() => fake.whispers().length).toBe(before + 1);
      return fake.whispers().at(-1)!;
    };
    expect(await whisperFor('333', '!memories')).toMatchObject({ to: '333', text: 'I remember nothing about you yet.' });
    const person = (await h.identities.find('twitch', '333'))!.userId;
    await rights.repo.add({ userId: person, familiarId: FAMILIAR, text: 'watches every stream', provenance: 'familiar' });
    expect((await whisperFor('333', '!memories')).text).toContain('watches every stream');
    expect((await whisperFor('333', '!why 1')).text).toContain('I noted it myself');
    expect((await whisperFor('333', '!export')).text).toContain('I remember 1 thing about you');
    const other = await whisperFor('444', '!forget 1');
    expect(other).toMatchObject({ to: '444' });
    expect(other.text).toMatch(/^I have no memory/);
    expect((await whisperFor('333', '!forget everything')).text).toBe('Forgotten: 1 memory.');
    expect(fake.sent()).toHaveLength(0);
  });
});
