import { afterEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const FRIEND = { id: 2002, username: 'friend' };

describe('#22 budgets on the chat channels (Telegram, the whole Hearth)', () => {
  let t: TestHearth | undefined;
  let telegram: FakeTelegram | undefined;
  let model: FakeOpenAI | undefined;
  afterEach(async () => {
    await t?.close();
    await telegram?.close();
    await model?.close();
  });

  it('#22 budgets: a person past the environment default gets the same short message as the API, and /usage says what is left', async () => {
    telegram = new FakeTelegram(TOKEN);
    model = await startFakeOpenAI({ fallback: { text: 'Hello from Ember.', usage: { prompt: 50, completion: 20 } } });
    const apiRoot = await telegram.listen();
    t = await startTestHearth({
      env: {
        HEARTH_TELEGRAM_BOT_TOKEN: TOKEN,
        HEARTH_TELEGRAM_API_ROOT: apiRoot,
        HEARTH_TELEGRAM_ALLOWED_USERS: String(FRIEND.id),
        HEARTH_BUDGET_TOKENS_PER_DAY: '400',
      },
    });
    const owner = await t.hearth.identity.createUser({ name: 'owner', password: 'correct horse battery staple 1', role: 'owner' });
    const key = (await t.hearth.identity.createApiKey({ userId: owner.id, scopes: ['read', 'write', 'chat', 'admin'] })).key;
    const headers = { authorization: `Bearer ${key}` };
    const p = await t.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers,
      payload: { name: 'fake', baseUrl: model.url, maxRetries: 0 },
    });
    const f = await t.app.inject({
      method: 'POST',
      url: '/api/familiars',
      headers,
      payload: {
        slug: 'ember',
        name: 'Ember',
        persona: 'You are Ember.',
        providerId: (p.json() as { id: string }).id,
        model: 'fake-model',
        maxOutputTokens: 100,
      },
    });
    expect(f.statusCode).toBe(201);
    await expect.poll(() => t!.hearth.channels.running('telegram')).toBe(true);

    telegram.userSays(FRIEND, '/usage');
    const [usage] = await telegram.messagesTo(FRIEND.id, 1);
    expect(usage?.text).toMatch(/^Yours today: 400 of 400 tokens left \(resets \d{4}-\d{2}-\d{2} 00:00 UTC\)/);

    model.script.push({ text: 'A long answer.', usage: { prompt: 300, completion: 60 } });
    telegram.userSays(FRIEND, 'hello');
    const [, answer] = await telegram.messagesTo(FRIEND.id, 2);
    expect(answer?.text).toBe('A long answer.');

    telegram.userSays(FRIEND, 'and again');
    const [, , spent] = await telegram.messagesTo(FRIEND.id, 3);
    expect(spent?.text).toMatch(/^Your daily token budget is spent; it resets at \d{4}-\d{2}-\d{2} 00:00 UTC\.$/);

    telegram.userSays(FRIEND, '/usage');
    const [, , , left] = await telegram.messagesTo(FRIEND.id, 4);
    expect(left?.text).toMatch(/^Yours today: 40 of 400 tokens left/);

    const audit = await t.app.inject({ method: 'GET', url: '/api/audit?action=budget.refused', headers });
    const entries = (audit.json() as { entries: Array<{ outcome: string; details: Record<string, unknown> }> }).entries;
    expect(entries[0]).toMatchObject({ outcome: 'denied', details: { channel: 'telegram', scope: 'person', period: 'day' } });
  });
});
