/**
 * Issue #15, "JWTs verify but cannot be used" (AUTH-6): a token subject is linked to a person by
 * `hearth users link-jwt`, by the owner on the People page's API, or, opted in with
 * HEARTH_JWT_AUTO_PROVISION=member, by a new member created on its first verified token (audited).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runHearth } from '../support/cli.js';
import { tempDir } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from './helpers.js';

const ISSUER = 'https://idp.example/auth/v1';
const AUDIENCE = 'authenticated';

describe('#15 AUTH-6 linking token subjects to people', () => {
  let jwks: Server;
  let url: string;
  let privateKey: CryptoKey;
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => jwks?.close());

  const jwtEnv = (extra: Record<string, string> = {}) => ({
    HEARTH_JWT_ISSUER: ISSUER,
    HEARTH_JWT_AUDIENCE: AUDIENCE,
    HEARTH_JWT_JWKS_URL: url,
    ...extra,
  });
  const sign = (sub: string) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt()
      .setSubject(sub)
      .setAudience(AUDIENCE)
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(privateKey);
  const whoAmI = async (t: TestHearth, sub: string) =>
    t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: { authorization: `Bearer ${await sign(sub)}` } });
  const session = async (t: TestHearth, sub: string) =>
    (await t.app.inject({ method: 'GET', url: '/api/auth/session', headers: { authorization: `Bearer ${await sign(sub)}` } })).json() as {
      user?: { id: string; name: string; role: string };
    };

  it('#15 AUTH-6: hearth users link-jwt NAME --issuer … --subject … makes that subject sign in as NAME; a wrong issuer is refused', async () => {
    const dataDir = tempDir();
    const env = { HEARTH_DATA_DIR: dataDir, ...jwtEnv() };
    const STRONG = 'correct horse battery staple 42';
    expect((await runHearth(['users', 'add', 'nell', '--role', 'member'], { env, stdin: `${STRONG}\n` })).code).toBe(0);
    const wrong = await runHearth(['users', 'link-jwt', 'nell', '--issuer', 'https://evil.example', '--subject', 'sub-nell'], { env });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain('HEARTH_JWT_ISSUER');
    const usage = await runHearth(['users', 'link-jwt', 'nell', '--subject', 'sub-nell'], { env });
    expect(usage.code).toBe(2);
    const ok = await runHearth(['users', 'link-jwt', 'nell', '--issuer', ISSUER, '--subject', 'sub-nell'], { env });
    expect(ok.code, ok.stderr).toBe(0);

    const t = await startTestHearth({ dataDir, env: jwtEnv() });
    try {
      expect((await session(t, 'sub-nell')).user?.name).toBe('nell');
      expect((await whoAmI(t, 'sub-nobody')).statusCode).toBe(401);
      const audit = await t.hearth.audit.list({ action: 'user.jwt_link', limit: 5 });
      expect(audit).toHaveLength(1);
    } finally {
      await t.close();
    }
  }, 60_000);

  it('#15 AUTH-6: the owner links a subject over the API (the People page); an admin cannot, and a subject speaks as one person only', async () => {
    const t = await startTestHearth({ env: jwtEnv() });
    try {
      const owner = await userWithKey(t, 'olga', 'owner', ['read', 'write', 'admin']);
      const admin = await userWithKey(t, 'abe', 'admin', ['read', 'write', 'admin']);
      const member = await userWithKey(t, 'meg', 'member', ['read', 'write']);
      const link = (key: string, id: string, body: Record<string, string>) =>
        t.app.inject({ method: 'POST', url: `/api/users/${id}/jwt-subjects`, headers: { 'x-api-key': key }, payload: body });
      // An admin linking their own token subject to the owner would sign in as the owner: refused.
      expect((await link(admin.key, owner.user.id, { issuer: ISSUER, subject: 'sub-abe' })).statusCode).toBe(403);
      expect((await whoAmI(t, 'sub-abe')).statusCode).toBe(401);
      expect((await link(owner.key, member.user.id, { issuer: 'https://other.example', subject: 'sub-meg' })).statusCode).toBe(400);
      expect((await link(owner.key, 'no-such-user', { issuer: ISSUER, subject: 'sub-meg' })).statusCode).toBe(404);
      expect((await link(owner.key, member.user.id, { issuer: ISSUER, subject: 'sub-meg' })).statusCode).toBe(204);
      expect((await session(t, 'sub-meg')).user?.id).toBe(member.user.id);
      // The same subject cannot be moved to someone else.
      const moved = await link(owner.key, admin.user.id, { issuer: ISSUER, subject: 'sub-meg' });
      expect(moved.statusCode).toBe(409);
      expect((await session(t, 'sub-meg')).user?.id).toBe(member.user.id);
    } finally {
      await t.close();
    }
  });

  it('#15 AUTH-6: HEARTH_JWT_AUTO_PROVISION=member creates one member on a first verified token (audited); off by default', async () => {
    const off = await startTestHearth({ env: jwtEnv() });
    try {
      expect((await whoAmI(off, 'sub-new')).statusCode).toBe(401);
      expect(await off.hearth.identity.listUsers()).toEqual([]);
    } finally {
      await off.close();
    }
    const t = await startTestHearth({ env: jwtEnv({ HEARTH_JWT_AUTO_PROVISION: 'member' }) });
    try {
      // Two first requests at once: one member.
      const [a, b] = await Promise.all([whoAmI(t, 'sub-new'), whoAmI(t, 'sub-new')]);
      expect([a.statusCode, b.statusCode]).toEqual([200, 200]);
      const users = await t.hearth.identity.listUsers();
      expect(users).toHaveLength(1);
      expect(users[0]).toMatchObject({ role: 'member' });
      expect((await session(t, 'sub-new')).user?.id).toBe(users[0]!.id);
      // Never more than a member, and nobody can sign in with the name and a password.
      const login = await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: users[0]!.name, password: '' } });
      expect(login.statusCode).toBeGreaterThanOrEqual(400);
      const audit = await t.hearth.audit.list({ action: 'user.jwt_provision', limit: 5 });
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ outcome: 'success', details: { role: 'member' } });
      // A bad token still provisions nobody.
      const forged = await t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: { authorization: 'Bearer not.a.jwt' } });
      expect(forged.statusCode).toBe(401);
      expect(await t.hearth.identity.listUsers()).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
