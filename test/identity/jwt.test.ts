import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const ISSUER = 'https://idp.example/auth/v1';
const AUDIENCE = 'authenticated';

describe('AUTH-6 bearer JWTs verified locally against a JWKS served on loopback', () => {
  let jwks: Server;
  let t: TestHearth;
  let privateKey: CryptoKey;
  let otherKey: CryptoKey;
  let userId: string;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    otherKey = (await generateKeyPair('RS256')).privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json`;
    t = await startTestHearth({ env: { HEARTH_JWT_ISSUER: ISSUER, HEARTH_JWT_AUDIENCE: AUDIENCE, HEARTH_JWT_JWKS_URL: url } });
    const user = await t.hearth.identity.createUser({ name: 'jwtuser', password: 'correct horse battery staple 42', role: 'member' });
    userId = user.id;
    await t.hearth.identity.linkJwtSubject(user.id, 'sub-123');
  });
  afterAll(async () => {
    await t?.close();
    jwks?.close();
  });

  const sign = (claims: { sub?: string; aud?: string; iss?: string; exp?: number | string }, key: CryptoKey = privateKey) => {
    const jwt = new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuedAt();
    if (claims.sub !== undefined) jwt.setSubject(claims.sub);
    jwt
      .setAudience(claims.aud ?? AUDIENCE)
      .setIssuer(claims.iss ?? ISSUER)
      .setExpirationTime(claims.exp ?? '5m');
    return jwt.sign(key);
  };
  const call = (token: string) => t.app.inject({ method: 'GET', url: '/api/auth/sessions', headers: { authorization: `Bearer ${token}` } });

  it('accepts a valid token and maps its verified sub to the Hearth user', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/auth/session',
      headers: { authorization: `Bearer ${await sign({ sub: 'sub-123' })}` },
    });
    expect(res.json()).toMatchObject({ user: { id: userId }, kind: 'jwt' });
    expect((await call(await sign({ sub: 'sub-123' }))).statusCode).toBe(200);
  });

  it('refuses tampered, foreign-signed, expired, wrong-audience, wrong-issuer and unmapped tokens', async () => {
    const good = await sign({ sub: 'sub-123' });
    const [h, p, s] = good.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'sub-999' })).toString('base64url')}.${s}`;
    const cases = [
      tampered,
      await sign({ sub: 'sub-123' }, otherKey),
      await sign({ sub: 'sub-123', exp: Math.floor(Date.now() / 1000) - 3600 }),
      await sign({ sub: 'sub-123', aud: 'someone-else' }),
      await sign({ sub: 'sub-123', iss: 'https://evil.example' }),
      await sign({ sub: 'not-linked' }),
    ];
    for (const token of cases) {
      const res = await call(token);
      expect(res.statusCode).toBe(401);
      expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
  });

  it('refuses alg: none and HS256 tokens signed with the public key material', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(
      JSON.stringify({ sub: 'sub-123', aud: AUDIENCE, iss: ISSUER, exp: Math.floor(Date.now() / 1000) + 300 }),
    ).toString('base64url');
    expect((await call(`${header}.${body}.`)).statusCode).toBe(401);
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('sub-123')
      .setAudience(AUDIENCE)
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode('k'.repeat(32)));
    expect((await call(hs)).statusCode).toBe(401);
  });

  it('a JWT comes first: an invalid bearer token is not rescued by a valid X-User-ID or cookie', async () => {
    const res = await t.app.inject({
      method: 'GET',
      url: '/api/auth/sessions',
      headers: { authorization: 'Bearer garbage.token.here', 'x-user-id': userId },
    });
    expect(res.statusCode).toBe(401);
  });
});
