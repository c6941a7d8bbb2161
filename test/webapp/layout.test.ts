/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import {
  collectCspViolations,
  ensureWebBuild,
  launchBrowser,
  overflowingElements,
  seedFamiliar,
  seriousA11yViolations,
  sidewaysScroll,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from './support.js';

const OWNER = 'ada';
const PASSWORD = 'correct horse battery staple 47';

/** Every signed-in page an owner has, by its navigation label. */
const PAGES: Array<[path: string, heading: string]> = [
  ['/chat', 'Chat'],
  ['/memories', 'Memories'],
  ['/notes', 'Notes'],
  ['/familiars', 'Familiars'],
  ['/providers', 'Providers'],
  ['/people', 'People'],
  ['/keys', 'API keys'],
  ['/sessions', 'Sessions'],
  ['/account', 'Account'],
  ['/audit', 'Audit log'],
  ['/observability', 'Observability'],
  ['/pairings', 'Pairings'],
  ['/approvals', 'Approvals'],
];
/** Pages seen signed out. */
const PUBLIC: Array<[path: string, heading: RegExp]> = [
  ['/login', /Sign in/],
  ['/setup', /Set up Hearth/],
  ['/reset-password', /Choose a new password/],
];

describe('#20 sessions, onboarding, layout and accessibility in Chromium (AUTH-2, HTTP-1)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth, fake] = await Promise.all([
      launchBrowser(),
      startWebHearth(),
      startFakeOpenAI({ fallback: { text: 'Hello! ```js\nconst a = 1;\n```' } }),
    ]);
    page = await browser.newPage({ viewport: { width: 1280, height: 820 } });
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('#20.2 after setup a checklist leads through adding a provider, creating a familiar and starting a chat, then goes away', async () => {
    const issued = await hearth.hearth.identity.issueSetupToken();
    await page.goto(`${hearth.baseUrl}/setup#token=${issued!.token}`);
    await page.getByLabel('Your name').fill(OWNER);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create owner' }).click();
    const checklist = page.getByRole('region', { name: 'Getting started' });
    await checklist.waitFor();
    expect(await checklist.getByRole('link').allInnerTexts()).toEqual(['Add a model provider', 'Create a familiar', 'Start a chat']);
    await seedFamiliar(page, fake.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Familiars', exact: true }).click();
    await expect.poll(() => checklist.getByRole('link').allInnerTexts()).toEqual(['Start a chat']);
    await checklist.getByRole('link', { name: 'Start a chat' }).click();
    await page.getByRole('textbox', { name: 'Message' }).fill('Hello there');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.bubble.assistant[data-state="done"]').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Memories', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Memories' }).waitFor();
    await expect.poll(() => checklist.count()).toBe(0);
  });

  it('#20.2 an expired or revoked session sends you to sign-in and back to where you were', async () => {
    const owner = (await hearth.hearth.identity.findUserByName(OWNER))!;
    const [conversation] = await hearth.hearth.conversations.list(owner.id, { limit: 1 });
    await page.goto(`${hearth.baseUrl}/chat/${conversation!.id}`);
    await page.locator('.bubble.user').filter({ hasText: 'Hello there' }).waitFor();
    // Every session of the owner ends on the server (as a revocation from another device does).
    for (const s of await hearth.hearth.identity.listSessions(owner.id)) await hearth.hearth.identity.revokeSession(owner.id, s.id);
    await page.getByRole('textbox', { name: 'Message' }).fill('Still there?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByText(/Your session ended/).waitFor();
    expect(new URL(page.url()).searchParams.get('next')).toBe(`/chat/${conversation!.id}`);
    await signInThroughPage(page, OWNER, PASSWORD);
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/chat/${conversation!.id}`);
    await page.locator('.bubble.user').filter({ hasText: 'Hello there' }).waitFor();
    // A `next` that leaves the site is ignored.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.goto(`${hearth.baseUrl}/login?next=//evil.example/x`);
    await signInThroughPage(page, OWNER, PASSWORD);
    await expect.poll(() => page.url()).toBe(`${hearth.baseUrl}/chat`);
  });

  it('#20.3 the light/dark switch is remembered across reloads', async () => {
    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await bg();
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    expect(await toggle.getAttribute('aria-pressed')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await bg()).not.toBe(light);
    await page.reload();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await bg()).not.toBe(light);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    expect(await bg()).toBe(light);
  });

  it('#20.3 at 375 px the navigation folds behind Menu, and no page scrolls sideways', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 700 }, isMobile: true });
    const p = await phone.newPage();
    p.setDefaultTimeout(10_000);
    for (const [path, heading] of PUBLIC) {
      await p.goto(`${hearth.baseUrl}${path}`);
      await p.getByRole('heading', { level: 1, name: heading }).waitFor();
      expect([path, await sidewaysScroll(p)]).toEqual([path, 0]);
    }
    await p.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(p, OWNER, PASSWORD);
    const nav = p.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    const menu = p.getByRole('button', { name: 'Menu' });
    for (const [path, heading] of PAGES) {
      await menu.click();
      expect(await menu.getAttribute('aria-expanded')).toBe('true');
      await nav.getByRole('link', { name: heading, exact: true }).click();
      await p.getByRole('heading', { level: 1, name: heading }).waitFor();
      expect(await nav.isVisible()).toBe(false);
      expect(new URL(p.url()).pathname).toBe(path);
      // A wide table scrolls inside itself; the page itself never does.
      const sideways = await sidewaysScroll(p);
      expect([path, sideways, sideways > 0 ? await overflowingElements(p) : []]).toEqual([path, 0, []]);
    }
    await phone.close();
  });

  const AXE_RUNS = [
    ['light', 1280],
    ['dark', 1280],
    ['light', 375],
    ['dark', 375],
  ] as const;
  for (const [scheme, width] of AXE_RUNS) {
    it(`#20.3 axe-core finds no serious or critical violation on any page (${scheme} theme, ${width} px)`, async () => {
      const phone = width < 600;
      const context = await browser.newContext({ viewport: { width, height: phone ? 700 : 820 }, colorScheme: scheme, isMobile: phone });
      const p = await context.newPage();
      p.setDefaultTimeout(10_000);
      const found: Record<string, string[]> = {};
      for (const [path, heading] of PUBLIC) {
        await p.goto(`${hearth.baseUrl}${path}`);
        await p.getByRole('heading', { level: 1, name: heading }).waitFor();
        const v = await seriousA11yViolations(p);
        if (v.length) found[path] = v;
      }
      await p.goto(`${hearth.baseUrl}/login`);
      await signInThroughPage(p, OWNER, PASSWORD);
      for (const [path, heading] of PAGES) {
        await p.goto(`${hearth.baseUrl}${path}`);
        await p.getByRole('heading', { level: 1, name: heading }).waitFor();
        await p.waitForLoadState('networkidle');
        // The familiar editor with a lorebook entry open (its fields and the problems it names).
        if (path === '/familiars') await p.getByRole('button', { name: 'Add lorebook entry' }).click();
        const v = await seriousA11yViolations(p);
        if (v.length) found[path] = v;
      }
      // At phone width, the folded navigation open too.
      if (phone) {
        await p.getByRole('button', { name: 'Menu' }).click();
        const v = await seriousA11yViolations(p);
        if (v.length) found['menu'] = v;
        await p.getByRole('button', { name: 'Menu' }).click();
      }
      // The chat with a reply (code, details) and the danger buttons in view.
      const owner = (await hearth.hearth.identity.findUserByName(OWNER))!;
      const [conversation] = await hearth.hearth.conversations.list(owner.id, { limit: 1 });
      await p.goto(`${hearth.baseUrl}/chat/${conversation!.id}`);
      await p.locator('.bubble.assistant').first().waitFor();
      const v = await seriousA11yViolations(p);
      if (v.length) found['/chat/:id'] = v;
      expect(found).toEqual({});
      // The control: a planted violation (an image without a text alternative) is found, so the check can fail.
      await p.evaluate(() => {
        const img = document.createElement('img');
        img.src = '/favicon.svg';
        document.querySelector('main')!.append(img);
      });
      expect((await seriousA11yViolations(p)).join('\n')).toContain('image-alt');
      await context.close();
    });
  }

  it('HTTP-1: no CSP violation on the way', () => {
    expect(violations).toEqual([]);
  });
});
