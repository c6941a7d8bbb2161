/// <reference lib="dom" />
/**
 * Issue #15, AUTH-6 "the same on the People page": the owner links a token subject to a person in
 * Chromium against the built app; the linked subject's verified tokens then sign in as that person.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectCspViolations, ensureWebBuild, launchBrowser, signInThroughPage, startWebHearth, type WebHearth } from './support.js';

const ISSUER = 'https://idp.example/auth/v1';
const OWNER = 'orla';
const PASSWORD = 'correct horse battery staple 45';

describe('#15 AUTH-6 People page: linking a sign-in token subject (owner only)', () => {
  let jwks: Server;
  let key: CryptoKey;
  let browser: Browser;
  let hearth: WebHearth;
  let page: Page;
  let violations: string[];
  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    key = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => res.setHeader('content-type', 'application/json').end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([
      launchBrowser(),
      startWebHearth({ env: { HEARTH_JWT_ISSUER: ISSUER, HEARTH_JWT_AUDIENCE: 'authenticated', HEARTH_JWT_JWKS_URL: url } }),
    ]);
    await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' });
    await hearth.hearth.identity.createUser({ name: 'pip', password: 'another long passphrase 98', role: 'member' });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, OWNER, PASSWORD);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    jwks?.close();
  });

  it('#15 AUTH-6: the owner links pip’s subject on the People page; that token then signs in as pip', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuedAt()
      .setSubject('idp|pip')
      .setAudience('authenticated')
      .setIssuer(ISSUER)
      .setExpirationTime('5m')
      .sign(key);
    const who = () => fetch(`${hearth.baseUrl}/api/auth/session`, { headers: { authorization: `Bearer ${token}` } });
    expect((await (await who()).json()) as { user?: unknown }).not.toHaveProperty('user.name', 'pip');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'People', exact: true }).click();
    const form = page.getByRole('form', { name: 'Link a sign-in token' });
    await form.getByLabel('Person').selectOption({ label: 'pip' });
    await form.getByLabel('Issuer (HEARTH_JWT_ISSUER)').fill(ISSUER);
    await form.getByLabel("Subject (the token's sub)").fill('idp|pip');
    await form.getByRole('button', { name: 'Link token subject' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain('now sign in as pip');
    expect(((await (await who()).json()) as { user?: { name: string } }).user?.name).toBe('pip');

    // The wrong issuer is refused with the server's message.
    await form.getByLabel('Person').selectOption({ label: 'pip' });
    await form.getByLabel('Issuer (HEARTH_JWT_ISSUER)').fill('https://elsewhere.example');
    await form.getByLabel("Subject (the token's sub)").fill('idp|other');
    await form.getByRole('button', { name: 'Link token subject' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('HEARTH_JWT_ISSUER');
    expect(violations).toEqual([]);
  });
});
