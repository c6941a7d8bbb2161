/// <reference lib="dom" />
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import {
  collectCspViolations,
  DOCS,
  ensureWebBuild,
  launchBrowser,
  seriousA11yViolations,
  sidewaysScroll,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from './support.js';

const OWNER = { name: 'olive', password: 'correct horse battery staple 61' };
const MEMBER = { name: 'bob', password: 'another long passphrase 62' };

async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

describe('#22 dashboard: usage and which familiar answers where, in Chromium (strict CSP, axe)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let model: FakeOpenAI;

  beforeAll(async () => {
    await ensureWebBuild();
    model = await startFakeOpenAI({ fallback: { text: 'Hello!', usage: { prompt: 120, completion: 30 } } });
    [browser, hearth] = await Promise.all([
      launchBrowser(),
      startWebHearth({ env: { HEARTH_CHANNEL_FAMILIAR: 'luna', HEARTH_CHANNEL_FAMILIARS: 'twitch:prefix:!sol=sol' } }),
    ]);
    const h = hearth.hearth;
    const owner = await h.identity.createUser({ ...OWNER, role: 'owner' });
    const bob = await h.identity.createUser({ ...MEMBER, role: 'member' });
    const ownerKey = (await h.identity.createApiKey({ userId: owner.id, scopes: ['read', 'write', 'chat', 'admin'] })).key;
    const bobKey = (await h.identity.createApiKey({ userId: bob.id, scopes: ['read', 'write', 'chat'] })).key;
    const p = await hearth.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: { 'x-api-key': ownerKey },
      payload: { name: 'fake', baseUrl: model.url, maxRetries: 0 },
    });
    const providerId = (p.json() as { id: string }).id;
    const system = { type: 'system' as const };
    const luna = await h.familiars.create({ slug: 'luna', name: 'Luna', persona: 'You are Luna.', providerId, model: 'm' }, system);
    const sol = await h.familiars.create({ slug: 'sol', name: 'Sol', persona: 'You are Sol.', providerId, model: 'm' }, system);
    await h.budgets.setLimits({ kind: 'person', userId: bob.id }, { tokensPerDay: 5000, tokensPerMonth: 100_000 }, system);
    await h.voiceBudgets.set({ kind: 'person', userId: bob.id }, { minutesPerDay: 10, minutesPerMonth: null }, system);
    // usage to chart: bob talks to both, the owner to Luna
    for (const [key, familiarId] of [
      [bobKey, luna.id],
      [bobKey, sol.id],
      [bobKey, sol.id],
      [ownerKey, luna.id],
    ] as const) {
      const c = await hearth.app.inject({
        method: 'POST',
        url: '/api/conversations',
        headers: { 'x-api-key': key },
        payload: { familiarId },
      });
      const id = (c.json() as { id: string }).id;
      const r = await hearth.app.inject({
        method: 'POST',
        url: `/api/conversations/${id}/messages`,
        headers: { 'x-api-key': key },
        payload: { text: 'hi' },
      });
      if (r.statusCode !== 200) throw new Error(`chat: ${r.statusCode} ${r.body}`);
    }
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await model?.close();
  });

  it('#22 web: a member sees what is left as meters (tokens, voice minutes), and no one else’s figures', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, MEMBER.name, MEMBER.password);
    await nav(page, 'Usage');
    const today = page.getByRole('meter', { name: 'Yours today: tokens' });
    await today.waitFor();
    expect(await today.getAttribute('max')).toBe('5000');
    expect(await today.getAttribute('value')).toBe(String(5000 - 3 * 150)); // the fake's reported usage, exactly
    await page.getByText('4,550 of 5,000 tokens left').first().waitFor();
    await page.getByRole('meter', { name: 'Yours today: voice minutes' }).waitFor();
    expect(await page.getByRole('heading', { name: /^Usage since/ }).count()).toBe(0); // charts are for admins
    await page.screenshot({ path: join(DOCS, 'web-usage-left.png') });
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('#22 web: admins see usage per person and familiar as bars; the channel panel shows and sets who answers where', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, OWNER.name, OWNER.password);
    await nav(page, 'Usage');
    const perPerson = page.getByRole('table', { name: 'Tokens per person' });
    await perPerson.getByRole('row', { name: /bob/ }).waitFor();
    expect(await perPerson.getByRole('row', { name: /bob/ }).innerText()).toContain('450');
    expect(await perPerson.getByRole('row', { name: /olive/ }).innerText()).toContain('150');
    const perFamiliar = page.getByRole('table', { name: 'Tokens per familiar' });
    expect(await perFamiliar.getByRole('row', { name: /Sol/ }).innerText()).toContain('300');
    expect(await perFamiliar.getByRole('row', { name: /Luna/ }).innerText()).toContain('300');
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: join(DOCS, 'web-usage.png'), fullPage: true });

    await nav(page, 'Channel familiars');
    await page.getByRole('row', { name: /twitch command !sol Sol environment/ }).waitFor();
    await page.getByLabel('Channel', { exact: true }).selectOption('discord');
    await page.getByLabel('Where', { exact: true }).selectOption('guild');
    await page.getByLabel('Id', { exact: true }).fill('123456789012345678');
    await page.getByLabel('Familiar', { exact: true }).selectOption({ label: 'Sol' });
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Sol now answers on discord, server 123456789012345678.').waitFor();
    await page.getByRole('row', { name: /discord server 123456789012345678 Sol dashboard or chat/ }).waitFor();
    const routes = await hearth.app.inject({ method: 'GET', url: '/api/channels/familiars' });
    expect(routes.statusCode).toBe(401); // the panel's API is not public
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: join(DOCS, 'web-channel-familiars.png'), fullPage: true });
    await page.getByRole('button', { name: 'Remove discord server 123456789012345678' }).click();
    await page
      .getByText('No routes', { exact: false })
      .or(page.getByRole('row', { name: /twitch command !sol/ }))
      .first()
      .waitFor();
    await expect.poll(() => page.getByRole('row', { name: /discord server/ }).count()).toBe(0);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('#22 web: both pages fit a phone in the dark theme, axe-clean', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 }, colorScheme: 'dark' });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, OWNER.name, OWNER.password);
    for (const [path, heading] of [
      ['/usage', 'Usage'],
      ['/channel-familiars', 'Channel familiars'],
    ] as const) {
      await page.goto(`${hearth.baseUrl}${path}`);
      await page.getByRole('heading', { level: 1, name: heading }).waitFor();
      await page.getByRole('table').first().waitFor();
      expect(await sidewaysScroll(page), path).toBe(0);
      expect(await seriousA11yViolations(page), path).toEqual([]);
    }
    expect(violations).toEqual([]);
    await context.close();
  });
});
