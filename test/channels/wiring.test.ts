import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelTables } from '../../src/channels/core/index.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

describe('channels wired into the whole Hearth (CH-2, DATA-1)', () => {
  let t: TestHearth | undefined;
  let fake: FakeTelegram | undefined;
  afterEach(async () => {
    await t?.close();
    await fake?.close();
  });

  it('CH-2: Telegram starts from the environment with its token sealed; a stranger is approved through /api/pairings and told so', async () => {
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    t = await startTestHearth({ env: { HEARTH_TELEGRAM_BOT_TOKEN: TOKEN, HEARTH_TELEGRAM_API_ROOT: apiRoot } });
    await expect.poll(() => t!.hearth.channels.running('telegram')).toBe(true);
    const rows = await t.hearth.storage.db.withTables<ChannelTables>().selectFrom('channel_settings').selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(TOKEN);

    fake.userSays({ id: 777, username: 'newcomer' }, 'hello?');
    const [codeMsg] = await fake.messagesTo(777, 1);
    expect(codeMsg?.text).toMatch(/pairing code: [A-Z0-9]{8}/);

    const o = await t.hearth.identity.createUser({ name: 'owner', password: 'correct horse battery staple 1', role: 'owner' });
    const key = (await t.hearth.identity.createApiKey({ userId: o.id, scopes: ['read', 'write', 'admin'] })).key;
    const list = await t.app.inject({ method: 'GET', url: '/api/pairings', headers: { 'x-api-key': key } });
    const [pending] = (list.json() as { pairings: Array<{ id: string; displayName: string }> }).pairings;
    expect(pending?.displayName).toBe('newcomer');
    const ok = await t.app.inject({
      method: 'POST',
      url: `/api/pairings/${pending!.id}/approve`,
      headers: { 'x-api-key': key },
      payload: {},
    });
    expect(ok.statusCode).toBe(200);
    const [, approved] = await fake.messagesTo(777, 2);
    expect(approved?.text).toBe('The owner approved you. You can chat now.');
    expect(t.logs.text).not.toContain(TOKEN);
    expect(t.logs.text).not.toContain(TOKEN.split(':')[1]);
  });
});
