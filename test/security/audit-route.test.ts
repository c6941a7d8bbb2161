import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const STRONG = 'correct horse battery staple 42';

describe('GET /api/audit (LOG-3, AUTH-7)', () => {
  let t: TestHearth;
  let adminKey: string;
  let memberKey: string;
  let adminReadOnly: string;
  beforeAll(async () => {
    t = await startTestHearth();
    const admin = await t.hearth.identity.createUser({ name: 'ada', password: STRONG, role: 'admin' });
    const member = await t.hearth.identity.createUser({ name: 'mel', password: STRONG, role: 'member' });
    adminKey = (await t.hearth.identity.createApiKey({ userId: admin.id, scopes: ['read', 'admin'] })).key;
    adminReadOnly = (await t.hearth.identity.createApiKey({ userId: admin.id, scopes: ['read'] })).key;
    memberKey = (await t.hearth.identity.createApiKey({ userId: member.id, scopes: ['read', 'write', 'chat'] })).key;
    await t.hearth.audit.record({
      actor: { type: 'user', id: member.id },
      action: 'memory.write',
      outcome: 'success',
      details: { token: 'sk-secret-value-123456' },
    });
    await t.hearth.audit.record({ actor: { type: 'system' }, action: 'keys.rotate', outcome: 'success' });
  });
  afterAll(async () => t.close());

  const get = (url: string, key?: string) => t.app.inject({ method: 'GET', url, headers: key ? { authorization: `Bearer ${key}` } : {} });

  it('LOG-3 AUTH-7 refuses anonymous callers, members and credentials without the admin scope', async () => {
    expect((await get('/api/audit')).statusCode).toBe(401);
    expect((await get('/api/audit', memberKey)).statusCode).toBe(403);
    expect((await get('/api/audit', adminReadOnly)).statusCode).toBe(403);
  });

  it('LOG-3 lists and filters for admins, details redacted', async () => {
    const res = await get('/api/audit?action=memory.write', adminKey);
    expect(res.statusCode).toBe(200);
    const body = res.json() as { entries: Array<{ action: string }> };
    expect(body.entries.length).toBe(1);
    expect(body.entries[0]!.action).toBe('memory.write');
    expect(res.body).not.toContain('sk-secret-value-123456');
    const all = (await get('/api/audit?limit=500', adminKey)).json() as { entries: unknown[] };
    expect(all.entries.length).toBeGreaterThanOrEqual(2);
    expect((await get('/api/audit?limit=9999', adminKey)).statusCode).toBe(400);
    expect((await get('/api/audit?bogus=1', adminKey)).statusCode).toBe(400);
  });
});
