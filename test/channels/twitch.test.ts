import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createTwitchAdapter } from '../../src/channels/twitch/index.js';
import { FakeTwitch } from '../fakes/twitch-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';

const TOKEN = 'twitchaccesstoken0123456789abcd';
const CLIENT = 'clientid0123456789';
const BOT = '111';
const BROADCASTER = '222';

describe('Twitch adapter against a fake EventSub WebSocket + Helix (CH-4, LLM-3)', () => {
  let h: ChannelHarness;
  let fake: FakeTwitch;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite', { person: 2, channel: 3 });
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
      admit: 'everyone', // the chat mechanics; who is admitted: twitch-admission.test.ts
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

  it('CH-4: subscribes to channel.chat.message only; a viewer asks with !ask and gets a plain-text, command-free reply', async () => {
    const sub = fake.calls.find((c) => c.path === '/eventsub/subscriptions');
    expect(sub?.body).toMatchObject({
      type: 'channel.chat.message',
      version: '1',
      condition: { broadcaster_user_id: BROADCASTER, user_id: BOT },
    });
    h.turns.reply = () => '/ban streamer\n<b>hi</b> [x](javascript:alert`1`)';
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: 'just chatting' });
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!ask what is up?' });
    await expect.poll(() => fake.sent().length).toBe(1);
    expect(fake.sent()[0]).toBe('@viewer /ban streamer <b>hi</b> x'); // addressed to the viewer, so never a chat command
    expect(fake.sent()[0]).not.toMatch(/javascript:|\n/);
    expect(h.turns.requests.map((r) => r.text)).toEqual(['what is up?']);
    expect(h.turns.requests[0]).toMatchObject({ channel: 'twitch', conversationKey: `twitch:channel:${BROADCASTER}` });
  });

  it('CH-4: per-viewer rate limit and the per-channel budget drop extra asks silently, audited', async () => {
    for (let i = 0; i < 3; i++) fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'a', text: `!ask a${i}` });
    for (let i = 0; i < 2; i++) fake.viewerSays({ broadcasterId: BROADCASTER, userId: '444', login: 'b', text: `!ask b${i}` });
    await expect.poll(async () => (await h.audit.list({ action: 'channel.rate_limited' })).length).toBe(2);
    const reasons = (await h.audit.list({ action: 'channel.rate_limited' })).map((e) => e.details?.budget).sort();
    expect(reasons).toEqual(['channel.person', 'channel.total']);
    expect(h.turns.requests).toHaveLength(3);
  });

  it('CH-4: moderator-only commands: a viewer cannot pause (audited), a moderator can', async () => {
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!familiar pause' });
    await expect.poll(async () => (await h.audit.list({ action: 'channel.command' })).length).toBe(1);
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '555', login: 'mod', text: '!familiar pause', badges: { moderator: '1' } });
    await expect.poll(() => fake.sent()).toEqual(['The familiar is resting.']);
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!ask hello?' });
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '555', login: 'mod', text: '!familiar resume', badges: { moderator: '1' } });
    await expect.poll(() => fake.sent().length).toBe(2);
    expect(h.turns.requests).toHaveLength(0);
  });

  it('SEC: a twurple error carrying the token is logged without it', async () => {
    fake.failNextSend = { status: 403, message: `token ${TOKEN} lacks user:write:chat` };
    fake.viewerSays({ broadcasterId: BROADCASTER, userId: '333', login: 'viewer', text: '!ask hi' });
    await expect.poll(() => h.logs.lines.some((l) => l.includes('twitch message failed'))).toBe(true);
    expect(h.logs.text).not.toContain(TOKEN);
  });
});
