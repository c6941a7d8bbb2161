import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createFamiliarRouter, type FamiliarRouter, type FamiliarRouteTables } from '../../src/channels/familiars/index.js';
import { createTwitchAdapter } from '../../src/channels/twitch/index.js';
import type { Familiar } from '../../src/companions/index.js';
import { memoryState } from '../../src/cluster/index.js';
import { FakeTwitch } from '../fakes/twitch-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';

const familiar = (id: string, slug: string, name: string) => ({ id, slug, name, allowedUsers: null }) as unknown as Familiar;
const FAMILIARS = [familiar('f_luna', 'luna', 'Luna'), familiar('f_sol', 'sol', 'Sol')];
const TOKEN = 'twitchaccesstoken0123456789abcd';
const CLIENT = 'clientid0123456789';
const BOT = '111';
/** Luna's streamer and Sol's streamer; the viewer watches both. */
const A = '500';
const B = '600';
const VIEWER = { userId: '333', login: 'viewer' };

describe('a familiar per Twitch channel, each with its own prefix (issue #22)', () => {
  let h: ChannelHarness;
  let fake: FakeTwitch;
  let adapter: ChannelAdapter;
  let router: FamiliarRouter;

  beforeEach(async () => {
    h = await channelHarness('sqlite');
    h.turns.reply = (req) => `[${req.familiarId}] ${req.text}`;
    fake = new FakeTwitch(TOKEN, CLIENT, BOT);
    process.env.TWURPLE_MOCK_API_PORT = String(await fake.listen());
    router = createFamiliarRouter({
      db: h.db.storage.db.withTables<FamiliarRouteTables>(),
      familiars: {
        list: async () => FAMILIARS,
        get: async (id) => FAMILIARS.find((f) => f.id === id),
        canUse: () => true,
      },
      // a global prefix route as the old single-channel setup had: it must not reach into the joined channels
      env: ['twitch:prefix:!sol=sol'],
      twitchEnv: [`${A}:luna:!Luna`],
      fallback: async () => 'f_luna',
      audit: h.audit,
      now: () => h.clock.now,
    });
    await router.twitch.set(B, { familiarId: 'f_sol', prefix: '!sol' }, { type: 'system' });
    adapter = createTwitchAdapter({
      token: TOKEN,
      clientId: CLIENT,
      botUserId: BOT,
      hub: h.hub,
      logger: h.logger,
      scrubber: h.scrubber,
      admit: 'everyone',
      familiars: router,
      state: memoryState(),
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

  const say = (broadcasterId: string, text: string, badges?: Record<string, string>, who = VIEWER) =>
    fake.viewerSays({ broadcasterId, ...who, text, ...(badges ? { badges } : {}) });

  it("CH-4: joins both channels; each familiar answers only on its own channel's prefix (or !ask), never in the other's", async () => {
    expect(fake.joined()).toEqual([A, B]);
    say(A, '!luna hello');
    await expect.poll(() => fake.sent(A).length).toBe(1);
    say(B, '!sol hello');
    await expect.poll(() => fake.sent(B).length).toBe(1);
    // the other channel's prefix is nobody's command here, env prefix route or not
    say(A, '!sol are you here?');
    say(B, '!luna are you here?');
    say(A, '!lunatic'); // not the prefix as a word
    say(B, '!ask and now?');
    await expect.poll(() => fake.sent(B).length).toBe(2);
    say(A, '!ask last one');
    await expect.poll(() => fake.sent(A).length).toBe(2);
    expect(fake.sent(A)).toEqual(['@viewer [f_luna] hello', '@viewer [f_luna] last one']);
    expect(fake.sent(B)).toEqual(['@viewer [f_sol] hello', '@viewer [f_sol] and now?']);
    expect(h.turns.requests.map((r) => [r.familiarId, r.conversationKey])).toEqual([
      ['f_luna', `twitch:channel:${A}`],
      ['f_sol', `twitch:channel:${B}`],
      ['f_sol', `twitch:channel:${B}`],
      ['f_luna', `twitch:channel:${A}`],
    ]);
    // one person across both channels (the same Twitch account), each familiar its own conversation key
    expect(new Set(h.turns.requests.map((r) => r.userId)).size).toBe(1);
  });

  it('CH-4 trust: a moderator (or the broadcaster) of channel A is nobody in channel B; a pause holds in its own channel only', async () => {
    const MOD = { userId: '444', login: 'moda' };
    // moderator badge in A: may pause A
    say(A, '!familiar pause', { moderator: '1' }, MOD);
    await expect.poll(() => fake.sent(A)).toEqual(['The familiar is resting.']);
    // the same account in B carries no badge there: refused, audited, nothing paused
    say(B, '!familiar pause', undefined, MOD);
    // A's broadcaster in B's chat is a viewer there
    say(B, '!familiar pause', undefined, { userId: A, login: 'streamer_a' });
    await expect.poll(async () => (await h.audit.list({ action: 'channel.command' })).length).toBe(2);
    const refused = await h.audit.list({ action: 'channel.command' });
    expect(refused.map((e) => [e.actor.type === 'channel' && 'externalId' in e.actor ? e.actor.externalId : '', e.outcome])).toEqual(
      expect.arrayContaining([
        [MOD.userId, 'denied'],
        [A, 'denied'],
      ]),
    );
    // A is paused, B still answers
    say(A, '!luna anyone?');
    say(B, '!sol anyone?');
    await expect.poll(() => fake.sent(B)).toEqual(['@viewer [f_sol] anyone?']);
    expect(fake.sent(A)).toEqual(['The familiar is resting.']);
    // B's own broadcaster may pause B
    say(B, '!familiar pause', { broadcaster: '1' }, { userId: B, login: 'streamer_b' });
    await expect.poll(() => fake.sent(B).at(-1)).toBe('The familiar is resting.');
    say(A, '!familiar resume', { moderator: '1' }, MOD);
    await expect.poll(() => fake.sent(A).at(-1)).toBe('The familiar is back.');
    say(A, '!luna back?');
    await expect.poll(() => fake.sent(A).at(-1)).toBe('@viewer [f_luna] back?');
  });

  it("CH-4 trust: badges of a shared-chat message from another channel are not this channel's, so it is ignored", async () => {
    fake.viewerSays({ broadcasterId: A, ...VIEWER, text: '!familiar pause', source: { broadcasterId: '999', badges: { moderator: '1' } } });
    fake.viewerSays({ broadcasterId: A, ...VIEWER, text: '!luna hi from elsewhere', source: { broadcasterId: '999' } });
    say(A, '!luna hi from here');
    await expect.poll(() => fake.sent(A).length).toBe(1);
    expect(fake.sent(A)).toEqual(['@viewer [f_luna] hi from here']);
  });

  it('#22: a channel added or removed is joined or left while the bot runs', async () => {
    const C = '700';
    await router.twitch.set(C, { familiarId: 'f_sol', prefix: '!sun' }, { type: 'system' });
    await expect.poll(() => fake.joined()).toEqual([A, B, C]);
    say(C, '!sun hi');
    await expect.poll(() => fake.sent(C)).toEqual(['@viewer [f_sol] hi']);
    await router.twitch.set(B, null, { type: 'system' });
    await expect.poll(() => fake.joined()).toEqual([A, C]);
    expect(fake.calls.some((c) => c.method === 'DELETE' && c.path === '/eventsub/subscriptions')).toBe(true);
    const [audit] = await h.audit.list({ action: 'channel.twitch.channel', target: `twitch:${C}` });
    expect(audit).toMatchObject({ outcome: 'success', details: { familiarId: 'f_sol', prefix: '!sun' } });
  });
});
