import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { channelHarness, type ChannelHarness } from '../channels/harness.js';
import { BOT_ID, FakeDiscord } from '../fakes/discord-server.js';
import { leasedDiscordReplicas } from '../channels/discord-harness.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const GUILD = { id: '100000000000000001', channelId: '100000000000000011' };
const MEMBER = '400000000000000004';
const DM = `dm${MEMBER}`;
const LEASE = 'channel:discord';

// Issue #19: the Discord bot's owner replica dies; the replica that takes the lease over RESUMEs the
// gateway session stored in the database (op 6 with the old session id and sequence) instead of a
// fresh IDENTIFY, so what Discord dispatched in the gap arrives once and nothing earlier again.
describe('Discord gateway session resumed by the next owner (#19, CH-3)', () => {
  let h: ChannelHarness;
  let fake: FakeDiscord;
  const adapters: ChannelAdapter[] = [];
  afterEach(async () => {
    for (const a of adapters.splice(0)) await a.stop().catch(() => undefined);
    await fake?.close();
    await h?.close();
  });
  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') console.log(h.logs.text);
  });

  it('CH-3 a takeover RESUMEs the dead owner’s session: the gap’s DM and mention arrive exactly once, nothing is replayed', async () => {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [MEMBER], ownerIds: [], pairing: false };
    fake = new FakeDiscord(TOKEN, [GUILD]);
    await fake.listen();
    const { tables, adapter, fence } = await leasedDiscordReplicas(h, fake, {
      token: TOKEN,
      guildIds: [GUILD.id],
      lease: LEASE,
      made: adapters,
    });
    const sent = (channelId: string) => (c: { method: string; path: string }) =>
      c.method === 'POST' && c.path === `/channels/${channelId}/messages`;
    const asked = () => h.turns.requests.map((r) => r.text);

    // Replica A holds the lease (token 1), identifies and answers a DM.
    const a = adapter(1);
    await a.start();
    expect(fake.identifies).toBe(1);
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'before' });
    await fake.waitFor(sent(DM), 1);
    // A finished with it: the reply went out and the stored session no longer lists it as pending
    // (a crash between those two is the one window in which the next owner redoes a turn).
    const nothingPending = async () => {
      const row = await tables
        .selectFrom('cluster_state')
        .select('value')
        .where('scope', '=', LEASE)
        .where('key', '=', 'gateway')
        .executeTakeFirst();
      return row !== undefined && (JSON.parse(row.value) as { pending?: unknown[] }).pending?.length === 0;
    };
    for (let i = 0; !(await nothingPending()); i++) {
      if (i > 200) throw new Error('replica A never recorded its answered message as done');
      await new Promise((r) => setTimeout(r, 25));
    }

    // A dies: its connection drops with no close frame, and B takes the lease (token 2), so
    // nothing A's client still does (its reconnect attempts, its teardown) can touch the session.
    await fence(2);
    fake.dropConnections(true);
    await a.stop();
    // Discord goes on dispatching while no replica is connected.
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'in the gap' });
    fake.userSays({
      userId: MEMBER,
      guildId: GUILD.id,
      channelId: GUILD.channelId,
      content: `<@${BOT_ID}> also in the gap`,
      mention: true,
    });
    fake.refuseConnections = false;

    const b = adapter(2);
    await b.start();
    expect(fake.identifies).toBe(1); // no fresh IDENTIFY
    expect(fake.resumes).toHaveLength(1);
    expect(fake.resumes[0]!.session_id).toBe('sess');
    await fake.waitFor(sent(DM), 2);
    await fake.waitFor(sent(GUILD.channelId), 1);
    // B runs as the bot from then on.
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'after' });
    await fake.waitFor(sent(DM), 3);
    await new Promise((r) => setTimeout(r, 300));
    // Each exactly once (handlers run concurrently, so the two gap events may finish in either order).
    expect(asked().sort()).toEqual(['after', 'also in the gap', 'before', 'in the gap']);
    expect(fake.calls.filter(sent(DM))).toHaveLength(3);
    expect(fake.calls.filter(sent(GUILD.channelId))).toHaveLength(1);
  }, 60_000);
});
