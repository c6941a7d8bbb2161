import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_PENDING_PER_CHANNEL, PAIRING_TTL_MS, type ChannelAdapter } from '../../src/channels/core/index.js';
import { createTelegramAdapter } from '../../src/channels/telegram/index.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { channelHarness, type ChannelHarness } from './harness.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const OWNER = { id: 1001, username: 'owner' };
const FRIEND = { id: 2002, username: 'friend' };
const STRANGER = { id: 3003, username: 'stranger' };

describe('Telegram adapter against a fake Bot API (CH-2, LLM-3)', () => {
  let h: ChannelHarness;
  let fake: FakeTelegram;
  let adapter: ChannelAdapter;

  beforeEach(async () => {
    h = await channelHarness('sqlite', { person: 3 });
    h.rules.telegram = { allowedIds: [String(FRIEND.id)], ownerIds: [String(OWNER.id)], pairing: true };
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    adapter = createTelegramAdapter({ token: TOKEN, hub: h.hub, logger: h.logger, scrubber: h.scrubber, apiRoot });
    h.notifiers.push((c, id, text) => (c === 'telegram' ? adapter.deliver(id, text) : Promise.resolve()));
    await adapter.start();
  });
  afterEach(async () => {
    await adapter.stop();
    await fake.close();
    await h.close();
  });

  it('CH-2: an allowlisted person chats; the reply is escaped HTML and the turn gets a stable conversation key', async () => {
    h.turns.reply = () => 'Use <b>bold</b> & [click](javascript:void0)';
    fake.userSays(FRIEND, 'hello');
    const [typing] = await waitFor(() => fake.calls.filter((c) => c.method === 'sendChatAction'));
    expect(typing?.action).toBe('typing');
    const [msg] = await fake.messagesTo(FRIEND.id, 1);
    expect(msg?.parse_mode).toBe('HTML');
    expect(msg?.text).toBe('Use &lt;b&gt;bold&lt;/b&gt; &amp; click');
    expect(h.turns.requests[0]).toMatchObject({
      channel: 'telegram',
      text: 'hello',
      familiarId: 'fam1',
      conversationKey: `telegram:chat:${FRIEND.id}`,
    });
  });

  it('LLM-3: a long reply is split at the 4096 limit without cutting an escape', async () => {
    h.turns.reply = () => '<'.repeat(3000) + ' ' + 'x'.repeat(3000);
    fake.userSays(FRIEND, 'long please');
    const msgs = await fake.messagesTo(FRIEND.id, 4); // 1024 + 1024 + 952 escaped '<', then the x's (split at the space)
    await new Promise((r) => setTimeout(r, 100));
    expect(fake.calls.filter((c) => c.method === 'sendMessage')).toHaveLength(4);
    for (const m of msgs) expect(m.text!.length).toBeLessThanOrEqual(4096);
    expect(
      msgs
        .map((m) => m.text)
        .join('')
        .replace(/&lt;/g, '<'),
    ).toBe('<'.repeat(3000) + 'x'.repeat(3000));
  });

  it('CH-2: a stranger gets a pairing code, the owner approves it in their own chat, the stranger chats', async () => {
    fake.userSays(STRANGER, 'let me in');
    const [pairingMsg] = await fake.messagesTo(STRANGER.id, 1);
    const code = /code: ([A-Z0-9]{8})/.exec(pairingMsg!.text!)?.[1];
    expect(code).toBeDefined();
    expect(h.turns.requests).toHaveLength(0);

    fake.userSays(STRANGER, `/approve ${code}`); // a stranger cannot approve themself
    const [, refusal] = await fake.messagesTo(STRANGER.id, 2);
    expect(refusal?.text).toBe('Only the owner can do that.');

    fake.userSays(OWNER, `/approve ${code!.toLowerCase()}`);
    const [ack] = await fake.messagesTo(OWNER.id, 1);
    expect(ack?.text).toContain('approved');
    await fake.messagesTo(STRANGER.id, 3); // "The owner approved you"

    fake.userSays(STRANGER, 'thanks!');
    const msgs = await fake.messagesTo(STRANGER.id, 4);
    expect(msgs[3]?.text).toBe('echo: thanks!');
    const actions = (await h.audit.list({ action: 'channel.' })).map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining(['channel.pairing.request:pending', 'channel.command:denied', 'channel.pairing.approve:success']),
    );
  });

  it('CH-2: an expired code and a fourth pending code are refused', async () => {
    fake.userSays(STRANGER, 'hi');
    const code = /code: ([A-Z0-9]{8})/.exec((await fake.messagesTo(STRANGER.id, 1))[0]!.text!)![1]!;
    h.clock.now += PAIRING_TTL_MS + 1;
    fake.userSays(OWNER, `/approve ${code}`);
    expect((await fake.messagesTo(OWNER.id, 1))[0]?.text).toBe('Could not approve: expired.');
    expect(await h.identities.find('telegram', String(STRANGER.id))).toBeUndefined();

    for (let i = 0; i < MAX_PENDING_PER_CHANNEL; i++) {
      fake.userSays({ id: 5000 + i }, 'hi');
      expect((await fake.messagesTo(5000 + i, 1))[0]?.text).toContain('pairing code');
    }
    fake.userSays({ id: 6000 }, 'me too');
    const [full] = await fake.messagesTo(6000, 1);
    expect(full?.text).not.toMatch(/[A-Z0-9]{8}/);
    expect(full?.text).toContain('too many pending');
    expect(await h.pairings.pending('telegram')).toHaveLength(MAX_PENDING_PER_CHANNEL);
  });

  it('CH-2: with pairing off a stranger gets a plain refusal, audited', async () => {
    h.rules.telegram = { allowedIds: [], ownerIds: [], pairing: false };
    fake.userSays(STRANGER, 'hi');
    expect((await fake.messagesTo(STRANGER.id, 1))[0]?.text).toBe('This familiar is private. Ask its owner for access.');
    expect(await h.pairings.pending()).toHaveLength(0);
    expect(await h.audit.list({ action: 'channel.unauthorized' })).toHaveLength(1);
  });

  it('CH-2: per-person rate limit answers "too quickly" and skips the turn', async () => {
    for (let i = 0; i < 4; i++) fake.userSays(FRIEND, `m${i}`);
    const msgs = await fake.messagesTo(FRIEND.id, 4);
    expect(msgs.filter((m) => m.text?.includes('too quickly'))).toHaveLength(1);
    expect(h.turns.requests).toHaveLength(3);
    expect(await h.audit.list({ action: 'channel.rate_limited' })).toHaveLength(1);
  });

  it('SEC: an error from grammY that carries the bot token is logged without it', async () => {
    fake.failNextSend = `Bad Request: proxy echoed /bot${TOKEN}/sendMessage and ${encodeURIComponent(TOKEN)}`;
    fake.userSays(FRIEND, 'hello');
    await waitFor(() => h.logs.lines.filter((l) => l.includes('telegram update failed')));
    expect(h.logs.text).toContain('GrammyError');
    expect(h.logs.text).not.toContain(TOKEN);
    expect(h.logs.text).not.toContain(TOKEN.split(':')[1]);
  });
});

async function waitFor<T>(probe: () => T[], timeoutMs = 10_000): Promise<T[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = probe();
    if (got.length > 0) return got;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
