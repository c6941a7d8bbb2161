import { afterEach, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { loginCookie, userWithKey } from './helpers.js';

describe.each(DATABASE_KINDS)('identity on %s', (db) => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  it('AUTH-5: an API key authenticates; a bad checksum, a revoked key and a key in the URL do not', async () => {
    t = await startTestHearth({ db });
    const { key, keyId } = await userWithKey(t, 'alice', 'member', ['read', 'write']);
    expect(key).toMatch(/^hth_[0-9A-Za-z]{49}$/);
    const ok = await t.app.inject({ method: 'GET', url: '/api/keys', headers: { 'x-api-key': key } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).not.toContain(key);
    const last = key.at(-1) === 'a' ? 'b' : 'a';
    const tampered = await t.app.inject({
      method: 'GET',
      url: '/api/keys',
      headers: { authorization: `Bearer ${key.slice(0, -1)}${last}` },
    });
    expect(tampered.statusCode).toBe(401);
    const inUrl = await t.app.inject({ method: 'GET', url: `/api/keys?api_key=${key}` });
    expect(inUrl.statusCode).toBe(400);
    await t.hearth.identity.revokeApiKey(keyId);
    const revoked = await t.app.inject({ method: 'GET', url: '/api/keys', headers: { 'x-api-key': key } });
    expect(revoked.statusCode).toBe(401);
  });

  it('AUTH-2: login sets a __Host- cookie with every flag; logout ends it; replay fails', async () => {
    t = await startTestHearth({ db });
    await userWithKey(t, 'bob', 'member', ['read']);
    const { cookie, csrf, setCookie } = await loginCookie(t, 'bob');
    expect(setCookie).toMatch(/^__Host-hearth=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict/);
    const session = await t.app.inject({ method: 'GET', url: '/api/auth/session', headers: { cookie } });
    expect(session.json()).toMatchObject({ user: { name: 'bob' }, kind: 'session' });
    const out = await t.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie, origin: 'http://localhost:80', 'x-csrf-token': csrf, host: 'localhost:80' },
    });
    expect(out.statusCode).toBe(204);
    const replay = await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: { cookie } });
    expect(replay.statusCode).toBe(401);
  });
});
