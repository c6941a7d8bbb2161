import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelAdapter } from '../../src/channels/core/index.js';
import type { TurnRequest } from '../../src/companions/index.js';
import { BOT_ID, FakeDiscord, type RestCall } from '../fakes/discord-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';
import { leasedDiscordReplicas } from './discord-harness.js';

const TOKEN = 'MTAxMjM0NTY3ODkwMTIzNDU2.GhIjKl.abcdefghijklmnopqrstuvwxyz0123456789AB';
const GUILD = { id: '100000000000000001', channelId: '100000000000000011' };
const MEMBER = '400000000000000004';
const DM = `dm${MEMBER}`;
const LEASE = 'channel:discord';

/** Polls until `fn` holds; the deadline is generous, never what is asserted. */
async function until(fn: () => boolean, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// Issue #19: a Discord message whose turn is in flight when the bot's owner dies is redone, once,
// by the replica that takes the bot over (it was stored as pending before the stored gateway
// sequence passed it); one already answered is not.
describe('Discord messages cut short by a dead owner are redone by the next (#19, CH-3)', () => {
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

  /** Two replicas' adapters on one database: `adapter(token)` runs as the holder of that fencing token. */
  async function setup() {
    h = await channelHarness('sqlite');
    h.rules.discord = { allowedIds: [MEMBER], ownerIds: [], pairing: false };
    fake = new FakeDiscord(TOKEN, [GUILD]);
    await fake.listen();
    const { adapter, fence } = await leasedDiscordReplicas(h, fake, { token: TOKEN, guildIds: [GUILD.id], lease: LEASE, made: adapters });
    /** The owner dies: the lease goes to `token`, its connection drops without a close frame. */
    const die = async (a: ChannelAdapter, token: number) => {
      await fence(token);
      fake.dropConnections(true);
      await a.stop();
    };
    return { adapter, die, fence };
  }

  const replies = (text: string) => (c: RestCall) =>
    c.method === 'POST' &&
    (c.path === `/channels/${DM}/messages` || c.path === `/channels/${GUILD.channelId}/messages`) &&
    c.body?.content === text;
  const asked = () => h.turns.requests.map((r) => r.text);
  /** The turn runner, with turns for `text` held until released (a turn in flight). */
  const hold = (text: string) => {
    const run = h.turns.run.bind(h.turns);
    const held: Array<() => void> = [];
    h.turns.run = async (req: TurnRequest) => {
      if (req.text !== text) return run(req);
      const reply = run(req);
      await new Promise<void>((r) => held.push(r));
      return reply;
    };
    return {
      waiting: () => held.length,
      release: () => {
        for (const r of held.splice(0)) r();
      },
      stop: () => void (h.turns.run = run),
    };
  };

  it('CH-3 the owner dies mid-turn: the survivor answers that DM and mention exactly once, and nothing already answered again', async () => {
    const { adapter, die } = await setup();
    const a = adapter(1);
    await a.start();
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'answered' });
    await fake.waitFor(replies('echo: answered'));

    // Two turns in flight on A when it dies: a DM and a server mention.
    const slow = hold('slow');
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'slow' });
    fake.userSays({ userId: MEMBER, guildId: GUILD.id, channelId: GUILD.channelId, content: `<@${BOT_ID}> slow`, mention: true });
    await until(() => slow.waiting() === 2, 'both turns to be in flight');
    await die(a, 2);
    slow.stop(); // A's turns never finish (it is dead); B's run normally

    fake.refuseConnections = false;
    const b = adapter(2);
    await b.start();
    expect(fake.resumes).toHaveLength(1);
    await fake.waitFor(replies('echo: slow'), 2);
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'after' });
    await fake.waitFor(replies('echo: after'));
    await new Promise((r) => setTimeout(r, 300));
    // A ran the two slow turns and B redid each once; 'answered' was not redone.
    expect(asked().sort()).toEqual(['after', 'answered', 'slow', 'slow', 'slow', 'slow']);
    expect(fake.calls.filter(replies('echo: answered'))).toHaveLength(1);
    expect(
      fake.calls
        .filter(replies('echo: slow'))
        .map((c) => c.path)
        .sort(),
    ).toEqual([`/channels/${DM}/messages`, `/channels/${GUILD.channelId}/messages`].sort());
    expect(fake.calls.filter(replies('echo: after'))).toHaveLength(1);

    // A third owner finds nothing left to redo.
    await die(b, 3);
    fake.refuseConnections = false;
    const c = adapter(3);
    await c.start();
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'third' });
    await fake.waitFor(replies('echo: third'));
    await new Promise((r) => setTimeout(r, 300));
    expect(asked().filter((t) => t === 'slow')).toHaveLength(4);
    expect(fake.calls.filter(replies('echo: slow'))).toHaveLength(2);
  }, 60_000);

  it('CH-3 a reply sent just before the owner lost the bot (its bookkeeping fenced): the redo carries the same enforced nonce, so Discord posts it once', async () => {
    const { adapter, die, fence } = await setup();
    const a = adapter(1);
    await a.start();
    const slow = hold('late');
    fake.userSays({ userId: MEMBER, channelId: DM, content: 'late' });
    await until(() => slow.waiting() === 1, 'the turn to be in flight');
    // A loses the lease while the turn runs; its reply still goes out, but clearing it is fenced.
    await fence(2);
    slow.release();
    await fake.waitFor(replies('echo: late'));
    slow.stop();
    await until(() => h.logs.text.includes('discord session not saved'), 'the fenced write');
    await die(a, 2);

    fake.refuseConnections = false;
    const b = adapter(2);
    await b.start();
    const sent = await fake.waitFor(replies('echo: late'), 2);
    // The remaining window (docs/replicas.md): the turn ran twice, but both sends name the message
    // replied to in an enforced nonce, which Discord answers with the first message instead of a second.
    expect(sent.map((c) => [c.body?.nonce, c.body?.enforce_nonce])).toEqual([
      [expect.stringMatching(/^\d+-0$/), true],
      [sent[0]!.body?.nonce, true],
    ]);
  }, 60_000);
});
