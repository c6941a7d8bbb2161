import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelTables } from '../../src/channels/core/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';

describe('/api/channels and /api/pairings (CH-2, DATA-1, AUTH-7)', () => {
  let t: TestHearth;
  let owner: string;
  let member: string;

  beforeEach(async () => {
    t = await startTestHearth({ db: 'sqlite' });
    const o = await t.hearth.identity.createUser({ name: 'owner', password: 'correct horse battery staple 1', role: 'owner' });
    const m = await t.hearth.identity.createUser({ name: 'member', password: 'correct horse battery staple 2', role: 'member' });
    owner = (await t.hearth.identity.createApiKey({ userId: o.id, scopes: ['read', 'write', 'chat', 'admin'] })).key;
    member = (await t.hearth.identity.createApiKey({ userId: m.id, scopes: ['read', 'write', 'chat'] })).key;
  });
  afterEach(async () => t.close());

  const call = (method: 'GET' | 'PUT' | 'POST', url: string, key: string, payload?: unknown) =>
    t.app.inject({
      method,
      url,
      headers: { 'x-api-key': key },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });

  it('DATA-1: a stored bot token is sealed, shown masked (last four only), never in a response or log', async () => {
    const put = await call('PUT', '/api/channels/telegram', owner, { token: TOKEN, allowedIds: ['1001'], pairing: false });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toMatchObject({ token: '••••saw0', restartRequired: true });
    const list = await call('GET', '/api/channels', owner);
    expect(list.body).not.toContain(TOKEN);
    expect(list.json().channels[0]).toMatchObject({ name: 'telegram', token: '••••saw0', allowedIds: ['1001'], pairing: false });
    const rows = await t.hearth.storage.db.withTables<ChannelTables>().selectFrom('channel_settings').selectAll().execute();
    expect(rows[0]?.token_sealed).toBeTruthy();
    expect(JSON.stringify(rows)).not.toContain(TOKEN);
    expect(await t.hearth.channels.settings.token('telegram')).toBe(TOKEN);
    expect(t.logs.text).not.toContain(TOKEN);
    expect((await t.hearth.audit.list({ action: 'channel.settings.update' }))[0]?.details).toMatchObject({ tokenChanged: true });
  });

  it('AUTH-7: members cannot read or change channels or pairings; unknown fields are refused', async () => {
    expect((await call('GET', '/api/channels', member)).json().code).toBe('FORBIDDEN');
    expect((await call('GET', '/api/pairings', member)).json().code).toBe('FORBIDDEN');
    expect((await call('PUT', '/api/channels/telegram', member, { pairing: true })).json().code).toBe('FORBIDDEN');
    const extra = await call('PUT', '/api/channels/telegram', owner, { pairing: true, owner: 'me' });
    expect(extra.statusCode).toBe(400);
    expect((await call('PUT', '/api/channels/irc', owner, { pairing: true })).statusCode).toBe(400);
  });

  it('CH-2: the owner lists and approves a pairing in the dashboard API, linking it to their own web account', async () => {
    const hub = t.hearth.channels.hub;
    const admission = await hub.admit({ channel: 'telegram', externalId: '4242', displayName: 'newcomer' });
    expect(admission.kind).toBe('pairing');
    const { pairings } = (await call('GET', '/api/pairings', owner)).json() as { pairings: Array<{ id: string; code: string }> };
    expect(pairings).toHaveLength(1);
    const me = (await t.hearth.identity.findUserByName('owner'))!;
    const ok = await call('POST', `/api/pairings/${pairings[0]!.id}/approve`, owner, { userId: me.id });
    expect(ok.statusCode).toBe(200);
    expect(await hub.admit({ channel: 'telegram', externalId: '4242' })).toMatchObject({ kind: 'allowed', userId: me.id });
    const again = await call('POST', `/api/pairings/${pairings[0]!.id}/deny`, owner, {});
    expect(again.json().code).toBe('CONFLICT');
    expect((await call('POST', '/api/pairings/00000000-0000-4000-8000-000000000000/approve', owner, {})).json().code).toBe('NOT_FOUND');
  });
});
