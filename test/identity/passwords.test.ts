import { afterEach, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { loginCookie, STRONG, userWithKey } from './helpers.js';

const ORIGIN = 'http://localhost:80';
const HOST = 'localhost:80';
const NEXT = 'a different long passphrase 88';

type Cookie = Awaited<ReturnType<typeof loginCookie>>;
const browser = (c: Cookie) => ({ cookie: c.cookie, origin: ORIGIN, host: HOST, 'x-csrf-token': c.csrf });

async function auditRows(t: TestHearth) {
  // Through the audit service: entries about a person keep their actor, target and details sealed at rest (issue #15).
  const entries = await t.hearth.audit.list({ limit: 500 });
  return entries.reverse().map((e) => ({
    seq: e.seq,
    action: e.action,
    outcome: e.outcome,
    actor: e.actor as unknown as Record<string, unknown>,
    target: e.target,
    details: e.details,
  }));
}

async function sessionWorks(t: TestHearth, c: Cookie): Promise<boolean> {
  return (await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: { cookie: c.cookie } })).statusCode === 200;
}

function changePassword(t: TestHearth, c: Cookie, current: string, next: string) {
  return t.app.inject({ method: 'POST', url: '/api/auth/password', payload: { current, next }, headers: browser(c) });
}

function resetWith(t: TestHearth, token: string, password: string) {
  return t.app.inject({ method: 'POST', url: '/api/auth/password-reset', payload: { token, password } });
}

describe('changing your own password (AUTH-2, AUTH-3)', () => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  it('needs the current password, applies the policy, ends the other sessions and is audited', async () => {
    t = await startTestHearth();
    const { user } = await userWithKey(t, 'ines', 'member', ['read']);
    const keep = await loginCookie(t, 'ines');
    const other = await loginCookie(t, 'ines');

    const wrong = await changePassword(t, keep, 'not my password at all', NEXT);
    expect(wrong.statusCode).toBe(403);
    for (const weak of ['short', 'password1234', 'ines ines ines ines'])
      expect((await changePassword(t, keep, STRONG, weak)).statusCode).toBe(400);
    expect((await changePassword(t, keep, STRONG, STRONG)).statusCode).toBe(400);
    expect(await sessionWorks(t, other)).toBe(true);

    const ok = await changePassword(t, keep, STRONG, NEXT);
    expect(ok.statusCode).toBe(200);
    expect(await sessionWorks(t, keep)).toBe(true);
    expect(await sessionWorks(t, other)).toBe(false);
    const oldLogin = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'ines', password: STRONG } });
    expect(oldLogin.statusCode).toBe(401);
    await loginCookie(t, 'ines', NEXT);

    const audit = await auditRows(t);
    const password = audit.filter((a) => a.action === 'user.password');
    expect(password.map((a) => a.outcome)).toEqual(['failure', 'success']);
    expect(password[0]).toMatchObject({
      target: user.id,
      actor: { type: 'user', id: user.id },
      details: { reason: 'wrong_current_password' },
    });
    expect(password[1]).toMatchObject({ target: user.id, details: { via: 'self', sessionsRevoked: 1 } });
    expect(audit.some((a) => a.action === 'session.revoke_all' && a.details?.reason === 'password_changed')).toBe(true);
    for (const secret of [STRONG, NEXT, 'not my password at all']) expect(t.logs.text + JSON.stringify(audit)).not.toContain(secret);
  });

  it('ATTACK: guessing the current password with a stolen session is counted by the login limiter and locks out', async () => {
    t = await startTestHearth({ env: { HEARTH_RATE_USER_WRITES: '1000' } });
    await userWithKey(t, 'jules', 'member', ['read']);
    const stolen = await loginCookie(t, 'jules');
    for (let i = 0; i < 10; i++) expect((await changePassword(t, stolen, `guess number ${i} here`, NEXT)).statusCode).toBe(403);
    // Locked: even the right current password is refused now, and so is a login to the account.
    const locked = await changePassword(t, stolen, STRONG, NEXT);
    expect(locked.statusCode).toBe(423);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(200);
    const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'jules', password: STRONG } });
    expect(login.statusCode).toBe(423);
    const audit = await auditRows(t);
    expect(audit.filter((a) => a.action === 'user.password' && a.outcome === 'failure')).toHaveLength(10);
    expect(audit.some((a) => a.action === 'auth.lockout' && a.target === 'jules')).toBe(true);
    expect(audit.some((a) => a.action === 'user.password' && a.outcome === 'denied')).toBe(true);
  });

  it('ATTACK: without the CSRF token, from a foreign origin, or with an API key, the password does not change', async () => {
    t = await startTestHearth();
    const { key } = await userWithKey(t, 'kim', 'member', ['read', 'write']);
    const c = await loginCookie(t, 'kim');
    const payload = { current: STRONG, next: NEXT };
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password',
      payload,
      headers: { cookie: c.cookie, origin: ORIGIN, host: HOST },
    });
    expect(noCsrf.statusCode).toBe(403);
    const foreign = await t.app.inject({
      method: 'POST',
      url: '/api/auth/password',
      payload,
      headers: { ...browser(c), origin: 'https://evil.example' },
    });
    expect(foreign.statusCode).toBe(403);
    const byKey = await t.app.inject({ method: 'POST', url: '/api/auth/password', payload, headers: { 'x-api-key': key } });
    expect(byKey.statusCode).toBe(403);
    await loginCookie(t, 'kim', STRONG);
  });
});

describe.each(DATABASE_KINDS)('password-reset links on %s (AUTH-1, AUTH-7)', (db) => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  it('an owner makes a one-time link; it sets the password once, ends the sessions, is hashed at rest, never logged, audited with both parties', async () => {
    t = await startTestHearth({ db });
    const owner = await userWithKey(t, 'olive', 'owner', ['admin', 'read', 'write']);
    const { user: member } = await userWithKey(t, 'mo', 'member', ['read']);
    const before = await loginCookie(t, 'mo');

    const made = await t.app.inject({ method: 'POST', url: `/api/users/${member.id}/password-reset`, headers: { 'x-api-key': owner.key } });
    expect(made.statusCode).toBe(201);
    const link = made.json() as { id: string; token: string; path: string; expiresAt: number; userId: string };
    expect(link.path).toBe(`/reset-password#token=${link.token}`);
    expect(link.userId).toBe(member.id);
    expect(link.expiresAt - Date.now()).toBeLessThanOrEqual(3_600_000);
    expect(link.expiresAt - Date.now()).toBeGreaterThan(3_500_000);
    // The session still works until the link is used.
    expect(await sessionWorks(t, before)).toBe(true);

    // A refused (weak) password does not spend the link.
    expect((await resetWith(t, link.token, 'password1234')).statusCode).toBe(400);
    const used = await resetWith(t, link.token, NEXT);
    expect(used.statusCode).toBe(200);
    expect(used.json()).toEqual({ ok: true, name: 'mo' });
    expect(await sessionWorks(t, before)).toBe(false);
    await loginCookie(t, 'mo', NEXT);
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'mo', password: STRONG } })).statusCode).toBe(
      401,
    );

    // ATTACK: reuse.
    const reuse = await resetWith(t, link.token, 'yet another long passphrase 99');
    expect(reuse.statusCode).toBe(401);
    await loginCookie(t, 'mo', NEXT);

    const tokens = await t.hearth.storage.db
      .withTables<{ identity_tokens: { token_hash: string; kind: string; user_id: string | null } }>()
      .selectFrom('identity_tokens')
      .selectAll()
      .execute();
    expect(tokens.filter((r) => r.kind === 'reset').map((r) => r.user_id)).toEqual([member.id]);
    expect(JSON.stringify(tokens)).not.toContain(link.token);

    const audit = await auditRows(t);
    expect(t.logs.text).not.toContain(link.token);
    expect(JSON.stringify(audit)).not.toContain(link.token);
    const issued = audit.find((a) => a.action === 'user.password_reset_link');
    expect(issued).toMatchObject({
      actor: { type: 'user', id: owner.user.id },
      target: member.id,
      details: { userId: member.id, issuedBy: owner.user.id, linkId: link.id },
    });
    const resets = audit.filter((a) => a.action === 'user.password_reset');
    expect(resets.map((a) => a.outcome)).toEqual(['success', 'failure']);
    expect(resets[0]).toMatchObject({
      actor: { type: 'user', id: member.id },
      target: member.id,
      details: { issuedBy: owner.user.id, linkId: link.id, sessionsRevoked: 1 },
    });
    expect(audit.some((a) => a.action === 'session.revoke_all' && a.target === member.id && a.details?.reason === 'password_reset')).toBe(
      true,
    );
    for (const secret of [STRONG, NEXT]) expect(t.logs.text).not.toContain(secret);
  });
});

describe('password-reset attacks (AUTH-7)', () => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  it('ATTACK: an expired link and a link replaced by a newer one are refused', async () => {
    let now = Date.now();
    t = await startTestHearth({ now: () => now });
    const owner = await t.hearth.identity.createUser({ name: 'omar', password: STRONG, role: 'owner' });
    const member = await t.hearth.identity.createUser({ name: 'pia', password: STRONG, role: 'member' });
    const first = await t.hearth.identity.issuePasswordReset(member.id, owner.id);
    const second = await t.hearth.identity.issuePasswordReset(member.id, owner.id);
    expect((await resetWith(t, first.token, NEXT)).statusCode).toBe(401);
    now += 61 * 60_000;
    expect((await resetWith(t, second.token, NEXT)).statusCode).toBe(401);
    await loginCookie(t, 'pia', STRONG);
    // A fresh link after expiry works again; and a password change withdraws any open link.
    const third = await t.hearth.identity.issuePasswordReset(member.id, owner.id);
    await t.hearth.identity.changePassword(member.id, STRONG, NEXT);
    expect((await resetWith(t, third.token, 'yet another long passphrase 99')).statusCode).toBe(401);
    expect((await resetWith(t, 'made-up-token-value-that-was-never-issued-x', NEXT)).statusCode).toBe(401);
  });

  it('ATTACK: members cannot make reset links, admins cannot reset the owner (or anyone), and an owner uses the account page for their own', async () => {
    t = await startTestHearth();
    const owner = await userWithKey(t, 'quinn', 'owner', ['admin', 'read', 'write']);
    const ownerReadOnly = await t.hearth.identity.createApiKey({ userId: owner.user.id, scopes: ['read', 'write'] });
    const admin = await userWithKey(t, 'rae', 'admin', ['admin', 'read', 'write']);
    const member = await userWithKey(t, 'sol', 'member', ['read', 'write']);
    const make = (id: string, key: string) =>
      t.app.inject({ method: 'POST', url: `/api/users/${id}/password-reset`, headers: { 'x-api-key': key } });

    expect((await make(admin.user.id, member.key)).statusCode).toBe(403);
    expect((await make(owner.user.id, member.key)).statusCode).toBe(403);
    expect((await make(owner.user.id, admin.key)).statusCode).toBe(403);
    expect((await make(member.user.id, admin.key)).statusCode).toBe(403);
    expect((await make(member.user.id, ownerReadOnly.key)).statusCode).toBe(403);
    expect((await make(owner.user.id, owner.key)).statusCode).toBe(409);
    expect((await make('no-such-person', owner.key)).statusCode).toBe(404);
    // The cookie route needs CSRF like every other state change.
    const c = await loginCookie(t, 'quinn');
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: `/api/users/${member.user.id}/password-reset`,
      headers: { cookie: c.cookie, origin: ORIGIN, host: HOST },
    });
    expect(noCsrf.statusCode).toBe(403);
    await expect(t.hearth.identity.issuePasswordReset(owner.user.id, admin.user.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const tokens = await t.hearth.storage.db
      .withTables<{ identity_tokens: { kind: string } }>()
      .selectFrom('identity_tokens')
      .select('kind')
      .where('kind', '=', 'reset')
      .execute();
    expect(tokens).toEqual([]);
    expect((await make(admin.user.id, owner.key)).statusCode).toBe(201);
  });

  it('erasing a person removes the reset links made for them', async () => {
    t = await startTestHearth();
    const owner = await t.hearth.identity.createUser({ name: 'tess', password: STRONG, role: 'owner' });
    const member = await t.hearth.identity.createUser({ name: 'uma', password: STRONG, role: 'member' });
    await t.hearth.identity.issuePasswordReset(member.id, owner.id);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/api/users/${member.id}`,
      headers: { 'x-api-key': (await t.hearth.identity.createApiKey({ userId: owner.id, scopes: ['admin', 'read', 'write'] })).key },
    });
    expect(res.statusCode).toBeLessThan(300);
    const left = await t.hearth.storage.db
      .withTables<{ identity_tokens: { user_id: string | null } }>()
      .selectFrom('identity_tokens')
      .select('user_id')
      .where('user_id', '=', member.id)
      .execute();
    expect(left).toEqual([]);
  });
});
