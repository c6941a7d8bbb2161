import { afterEach, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const ALICE = { id: 2002, username: 'alice' };

describe('#21 memory rights wired into the whole Hearth (MEM-2, DATA-5)', () => {
  let t: TestHearth | undefined;
  let fake: FakeTelegram | undefined;
  afterEach(async () => {
    await t?.close();
    await fake?.close();
  });

  it("#21 Telegram's /why reads the conversation a memory came from; /export sends the file; all audited", async () => {
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    t = await startTestHearth({
      env: { HEARTH_TELEGRAM_BOT_TOKEN: TOKEN, HEARTH_TELEGRAM_API_ROOT: apiRoot, HEARTH_TELEGRAM_ALLOWED_USERS: String(ALICE.id) },
    });
    const familiarId = (await t.hearth.familiars.create({ slug: 'wren', name: 'Wren', persona: 'kind', model: 'm' }, { type: 'system' }))
      .id;
    await expect.poll(() => t!.hearth.channels.running('telegram')).toBe(true);
    const say = async (text: string) => {
      const before = fake!.calls.filter((c) => c.method === 'sendMessage').length;
      fake!.userSays(ALICE, text);
      return (await fake!.messagesTo(ALICE.id, before + 1)).at(-1)?.text ?? '';
    };

    expect(await say('/memories')).toBe('I remember nothing about you yet.');
    const person = (await t.hearth.channels.identities.find('telegram', String(ALICE.id)))!.userId;
    const conversations = t.hearth.conversations;
    const conv = await conversations.create({ userId: person, familiarId, channel: 'telegram' });
    const msg = await conversations.addMessage({
      conversationId: conv.id,
      userId: person,
      role: 'user',
      content: 'my sister is called Ines',
      status: 'complete',
    });
    await t.hearth.memory.repo.add({
      userId: person,
      familiarId,
      text: 'Has a sister, Ines',
      provenance: 'familiar',
      sourceRef: `conversation:${conv.id}/message:${msg.id}`,
    });
    const why = await say('/why 1');
    expect(why).toContain('a conversation on telegram');
    expect(why).toContain('my sister is called Ines');
    await say('/export');
    await expect.poll(() => fake!.calls.filter((c) => c.method === 'sendDocument').length).toBe(1);
    expect(fake.calls.find((c) => c.method === 'sendDocument')!.document!.content).toContain('Has a sister, Ines');
    expect(await say('/forget 1')).toContain('Has a sister, Ines');
    const actions = (await t.hearth.audit.list({ action: 'memory.' })).map((e) => e.action).sort();
    expect(actions).toEqual(['memory.delete', 'memory.explain', 'memory.export', 'memory.read']);
  });
});
