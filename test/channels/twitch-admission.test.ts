import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createTwitchAdapter, type TwitchAdmit } from '../../src/channels/twitch/index.js';
import { FakeTwitch } from '../fakes/twitch-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';

const TOKEN = 'twitchaccesstoken0123456789abcd';
const CLIENT = 'clientid0123456789';
const BOT = '111';
const BROADCASTER = '222';

describe('#15 twitch: viewers are admitted as the operator chose, not everyone who types !ask (CH-4, CH-2)', () => {
  let h: ChannelHarness;
  let fake: FakeTwitch;
  let adapter: ChannelAdapter;

  const start = async (admit: TwitchAdmit | undefined, rules: { allowedIds?: string[]; pairing?: boolean } = {}) => {
    h = await channelHarness('sqlite');
    h.rules.twitch = { allowedIds: rules.allowedIds ?? [], ownerIds: [BROADCASTER], pairing: rules.pairing ?? true };
    fake = new FakeTwitch(TOKEN, CLIENT, BOT);
    // twurple reaches a mock server only through this variable (the Twitch CLI convention).
    process.env.TWURPLE_MOCK_API_PORT = String(await fake.listen());
    adapter = createTwitchAdapter({
      token: TOKEN,
      clientId: CLIENT,
      botUserId: BOT,
      broadcasterId: BROADCASTER,
      hub: h.hub,
      logger: h.logger,
      scrubber: h.scrubber,
      ...(admit ? { admit } : {}),
    });
    h.notifiers.push(async (channel, id, text) => {
      if (channel === 'twitch') await adapter.deliver(id, text);
    });
    await adapter.start();
  };
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(h.logs.text, JSON.stringify(fake.calls));
    await adapter?.stop();
    delete process.env.TWURPLE_MOCK_API_PORT;
    await fake?.close();
    await h?.close();
  });

  const ask = (userId: string, text: string, badges?: Record<string, string>) =>
    fake.viewerSays({ broadcasterId: BROADCASTER, userId, login: `v${userId}`, text: `!ask ${text}`, ...(badges ? { badges } : {}) });
  /** Waits until every message sent so far was handled: each one either reached a turn or was refused (audited). */
  const settle = async (messages: number) => {
    const refused = async () => (await h.audit.list({ action: 'channel.unauthorized' })).length;
    await expect.poll(async () => h.turns.requests.length + (await refused())).toBe(messages);
  };
  const askedBy = () => h.turns.requests.map((r) => r.text);

  it('#15 twitch: by default a viewer with no standing is not answered; subscribers, VIPs, moderators and the broadcaster are', async () => {
    await start(undefined, { pairing: false });
    ask('301', 'stranger question');
    ask('302', 'sub question', { subscriber: '12' });
    ask('303', 'vip question', { vip: '1' });
    ask('304', 'mod question', { moderator: '1' });
    ask(BROADCASTER, 'owner question');
    await settle(5);
    expect(askedBy().sort()).toEqual(['mod question', 'owner question', 'sub question', 'vip question']);
    await expect.poll(() => fake.sent().length).toBe(4);
    expect(fake.sent().some((m) => m.includes('stranger'))).toBe(false); // nothing said in chat about it
    const refused = await h.audit.list({ action: 'channel.unauthorized' });
    expect(refused.map((e) => (e.actor as { externalId?: string }).externalId)).toEqual(['301']);
  });

  it('#15 twitch: each level admits itself and the roles above it, never below', async () => {
    const levels: Array<[TwitchAdmit, string[]]> = [
      ['everyone', ['everyone', 'sub', 'vip', 'mod']],
      ['subscribers', ['sub', 'vip', 'mod']],
      ['vips', ['vip', 'mod']],
      ['moderators', ['mod']],
      ['none', []],
    ];
    for (const [admit, expected] of levels) {
      await start(admit, { pairing: false });
      ask('401', 'everyone');
      ask('402', 'sub', { founder: '0' });
      ask('403', 'vip', { vip: '1' });
      ask('404', 'mod', { moderator: '1' });
      await settle(4);
      expect(askedBy().sort(), admit).toEqual([...expected].sort());
      await adapter.stop();
      delete process.env.TWURPLE_MOCK_API_PORT;
      await fake.close();
      await h.close();
    }
    await start('moderators'); // for afterEach
  });

  it('#15 twitch: followers only asks Twitch whether the viewer follows, as the bot (a moderator)', async () => {
    await start('followers', { pairing: false });
    fake.followers.add('501');
    ask('501', 'follower question');
    ask('502', 'not following');
    await settle(2);
    // asking again does not ask Twitch again
    ask('502', 'still not following');
    ask('501', 'again');
    await settle(4);
    expect(fake.calls.filter((c) => c.path === '/mock/channels/followers')).toHaveLength(2);
    expect(askedBy()).toEqual(['follower question', 'again']);
    const checks = fake.calls.filter((c) => c.path === '/mock/channels/followers');
    expect(checks.map((c) => [c.query.get('broadcaster_id'), c.query.get('user_id')])).toEqual(
      expect.arrayContaining([
        [BROADCASTER, '501'],
        [BROADCASTER, '502'],
      ]),
    );
  });

  it('#15 twitch: the allowlist admits exactly its viewers whatever the level', async () => {
    await start('none', { allowedIds: ['601'], pairing: false });
    ask('601', 'allowlisted');
    ask('602', 'not listed', { subscriber: '1' });
    await settle(2);
    expect(askedBy()).toEqual(['allowlisted']);
  });

  it('#15 twitch: pairing: a stranger gets a code by whisper (never in chat), the owner approves it, then the viewer is answered', async () => {
    await start('moderators');
    ask('701', 'may I?');
    ask('701', 'may I, please?');
    ask('701', 'hello??');
    await expect.poll(async () => (await h.audit.list({ action: 'channel.pairing.request' })).length).toBe(3);
    await expect.poll(() => fake.whispers().length).toBe(1); // one code, whispered once
    const [w] = fake.whispers();
    expect(w!.to).toBe('701');
    const code = /code: (\S+)/.exec(w!.text)?.[1];
    expect(code).toBeTruthy();
    expect(fake.sent().join('\n')).not.toContain(code!);
    expect(h.turns.requests).toHaveLength(0);

    // another viewer cannot use that code: it is bound to the viewer who asked, and only the owner decides
    const [pending] = await h.hub.pending('twitch');
    expect(pending).toMatchObject({ externalId: '701', code });
    const approved = await h.hub.decide({ code: code! }, 'approved', { type: 'user', id: 'owner-user' });
    expect(approved.kind).toBe('ok');
    await expect.poll(() => fake.whispers().length).toBe(2);
    expect(fake.whispers()[1]).toMatchObject({ to: '701', text: expect.stringContaining('approved') });

    ask('701', 'now?');
    ask('702', 'me too?');
    await expect.poll(() => fake.whispers().length).toBe(3);
    await expect.poll(() => askedBy()).toEqual(['now?']);
    expect(fake.whispers().map((x) => x.to)).toEqual(['701', '701', '702']);
    expect(fake.whispers()[2]!.text).not.toContain(code!);
  });
});
