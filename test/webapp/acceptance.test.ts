/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { needsCorpus } from '../support/corpora.js';
import {
  armXssTrap,
  collectCspViolations,
  DOCS,
  ensureWebBuild,
  generatedXssPayloads,
  launchBrowser,
  startWebHearth,
  xssPayloads,
  type WebHearth,
} from './support.js';

const OWNER = 'ada';
const PASSWORD = 'correct horse battery staple 42';
const PROVIDER_KEY = 'sk-fake-provider-secret-7f3a';
const REPLY = 'Hello **friend**! I will remember that you *love* green tea. More at https://example.org/tea';

async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

async function signIn(page: Page): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Name').fill(OWNER);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Sends one chat message and waits until its reply has finished streaming. */
async function chat(page: Page, text: string): Promise<void> {
  const before = await page.locator('.bubble.assistant').count();
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
  const reply = page.locator('.bubble.assistant').nth(before);
  await reply.waitFor();
  await expect.poll(() => reply.getAttribute('data-state'), { timeout: 20_000 }).toMatch(/^(done|failed)$/);
}

describe('acceptance in Chromium: setup → login → provider → familiar → streamed chat → logout (AUTH-1, CH-1, LLM-3)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let page: Page;
  let violations: string[];
  const hits: string[] = [];

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth, fake] = await Promise.all([
      launchBrowser(),
      startWebHearth(),
      startFakeOpenAI({ fallback: { text: REPLY, chunkDelayMs: 60 }, models: ['fake-model'], apiKey: PROVIDER_KEY }),
    ]);
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    await armXssTrap(page, hits);
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('AUTH-1: the one-time setup link creates the owner and signs them in', async () => {
    const issued = await hearth.hearth.identity.issueSetupToken();
    expect(issued).toBeDefined();
    await page.goto(`${hearth.baseUrl}/setup#token=${issued!.token}`);
    await page.getByLabel('Your name').fill(OWNER);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create owner' }).click();
    await page.getByRole('heading', { level: 1, name: 'Providers' }).waitFor();
    // The token is gone from the address bar once used.
    expect(page.url()).not.toContain(issued!.token);
  });

  it('logs out and back in with the password', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page);
    await expect(page.getByText(`Signed in as ${OWNER}`).isVisible()).resolves.toBe(true);
  });

  it('DATA-1: adds a provider pointing at the fake model; the key comes back masked; test connection works', async () => {
    await nav(page, 'Providers');
    await page.getByLabel('Name').fill('Fake model');
    await page.getByLabel('Base URL').fill(fake.url);
    await page.getByLabel('Default model').fill('fake-model');
    await page.getByLabel('API key').fill(PROVIDER_KEY);
    await page.getByRole('button', { name: 'Save provider' }).click();
    const row = page.getByRole('row', { name: /Fake model/ });
    await row.waitFor();
    const rowText = await row.innerText();
    expect(rowText).toContain('7f3a');
    expect(await page.content()).not.toContain(PROVIDER_KEY);
    await row.getByRole('button', { name: 'Test connection' }).click();
    await page.getByText(/Fake model: connection works/).waitFor();
  });

  it('CFG-2: creates a familiar with live length counters (name 64, persona 8,000)', async () => {
    await nav(page, 'Familiars');
    await page.getByLabel('Name', { exact: true }).fill('Ember');
    await expect(page.locator('#f-familiar-name-count').innerText()).resolves.toBe('5 / 64');
    await page.getByLabel('Persona').fill('x'.repeat(8001));
    await expect(page.locator('#f-persona-count').innerText()).resolves.toBe('8,001 / 8,000');
    expect(await page.getByRole('button', { name: 'Create familiar' }).isDisabled()).toBe(true);
    await page.getByLabel('Persona').fill('You are Ember, a warm and attentive companion.');
    await page.getByLabel('Model', { exact: true }).fill('fake-model');
    await expect(page.getByLabel('Allowed tools (comma-separated)').inputValue()).resolves.toContain('remember');
    await page.getByRole('button', { name: 'Create familiar' }).click();
    await page.getByRole('heading', { level: 2, name: 'Ember' }).waitFor();
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'web-dashboard.png') });
  });

  it('CH-1: chats with a streamed reply rendered as sanitized markdown', async () => {
    await nav(page, 'Chat');
    await expect.poll(() => page.getByLabel('Familiar').inputValue()).not.toBe('');
    // The model first stores a memory with the `remember` tool, then streams its reply.
    fake.script.push(
      { toolCalls: [{ name: 'remember', arguments: JSON.stringify({ text: 'ada loves green tea' }) }] },
      { text: REPLY, chunkDelayMs: 60 },
    );
    await page.getByRole('textbox', { name: 'Message' }).fill('I love green tea.');
    await page.getByRole('button', { name: 'Send' }).click();
    // Mid-stream: the reply bubble shows part of the text with the Stop button available.
    await page.locator('.bubble.assistant[data-state="streaming"]').filter({ hasText: 'Hello' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).waitFor();
    const done = page.locator('.bubble.assistant[data-state="done"]');
    await done.waitFor();
    await expect(done.locator('strong').innerText()).resolves.toBe('friend');
    const link = done.locator('a');
    await expect(link.getAttribute('href')).resolves.toBe('https://example.org/tea');
    await expect(link.getAttribute('rel')).resolves.toContain('noopener');
    await expect(page.locator('.bubble.user').innerText()).resolves.toContain('I love green tea.');
    // The conversation is listed and its history reloads from the server.
    await page.getByRole('complementary', { name: 'Conversations' }).getByRole('link').first().waitFor();
    // docs/web-chat.png comes from test/webapp/chat.test.ts (a thread with code and details).
  });

  it('shows a clear message with Retry when the provider fails, and retry recovers', async () => {
    // The provider client retries twice; three failures in a row reach the person.
    fake.script.push({ status: 500 }, { status: 500 }, { status: 500 });
    await chat(page, 'Are you there?');
    const failed = page.locator('.bubble.assistant[data-state="failed"]');
    await failed.waitFor();
    await expect(failed.getByRole('alert').innerText()).resolves.toMatch(/\w/);
    await failed.getByRole('button', { name: 'Retry' }).click();
    await expect.poll(() => page.locator('.bubble.assistant[data-state="failed"]').count()).toBe(0);
    await page.locator('.bubble.assistant[data-state="done"]').nth(1).waitFor();
  });

  it('MEM-2: the memory the familiar stored appears in the memory browser, searchable, with history', async () => {
    await nav(page, 'Memories');
    const card = page.locator('.memory').filter({ hasText: 'ada loves green tea' });
    await card.waitFor();
    await expect(card.innerText()).resolves.toContain('from familiar');
    await page.getByLabel('Search memories').fill('tea');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await card.waitFor();
    await card.getByRole('button', { name: 'History' }).click();
    await card
      .getByRole('list', { name: 'History' })
      .getByText(/v1 create/)
      .waitFor();
  });

  it('logs out: the session is gone on the server too', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
    expect(session.user).toBeNull();
    await page.goto(`${hearth.baseUrl}/familiars`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  });

  it('HTTP-1, LLM-3: no CSP violation, no dialog and no trap fired during the whole flow', async () => {
    expect(violations).toEqual([]);
    expect(hits).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
  });
});

/** The person sends the payloads in batches and the model replies with the same text: nothing may run, load from elsewhere or leave its bubble. */
function xssThroughChat(
  title: string,
  payloads: () => string[],
  options: ReturnType<typeof needsCorpus> | Record<string, never> = {},
): void {
  describe(title, options, () => {
    let browser: Browser;
    let hearth: WebHearth;
    let fake: FakeOpenAI;

    beforeAll(async () => {
      await ensureWebBuild();
      [browser, hearth, fake] = await Promise.all([launchBrowser(), startWebHearth(), startFakeOpenAI({ fallback: { text: 'ok' } })]);
    });
    afterAll(async () => {
      await browser?.close();
      await hearth?.close();
      await fake?.close();
    });

    it('nothing runs, nothing loads from elsewhere, and nothing leaves its bubble', async () => {
      const owner = await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' });
      expect(owner.id).toBeTruthy();
      const page = await browser.newPage();
      const hits: string[] = [];
      const violations = collectCspViolations(page);
      await armXssTrap(page, hits);
      const outside: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(hearth.baseUrl)) outside.push(r.url());
      });
      await page.goto(`${hearth.baseUrl}/providers`);
      await signIn(page);
      // Provider and familiar through the API with the page's own session (CSRF header from the app).
      const created = await page.evaluate(async (url) => {
        const session = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
        const post = async (path: string, body: unknown) => {
          const r = await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
            body: JSON.stringify(body),
          });
          return (await r.json()) as { id: string };
        };
        const provider = await post('/api/providers', { name: 'Fake', baseUrl: url, defaultModel: 'fake-model' });
        return post('/api/familiars', {
          slug: 'ember',
          name: 'Ember',
          persona: 'A companion.',
          model: 'fake-model',
          providerId: provider.id,
        });
      }, fake.url);
      expect(created.id).toBeTruthy();

      const lines = payloads();
      const batches: string[] = [];
      for (let i = 0; i < lines.length; i += 12) batches.push(lines.slice(i, i + 12).join('\n\n'));
      await nav(page, 'Chat');
      // One step per message, pushed as it is sent: the first exchange's title is a model call of its own.
      for (const b of batches) {
        fake.script.push({ text: b });
        await chat(page, b);
      }

      await page.waitForLoadState('networkidle');
      const report = await page.evaluate(() => {
        const list = document.querySelector('ol.messages')!;
        const all = [...list.querySelectorAll('*')];
        return {
          children: [...list.children].map((c) => `${c.tagName}.${c.className}`),
          states: [...list.querySelectorAll('.bubble')].map((b) => b.getAttribute('data-state')),
          outsideMain: [...document.body.children].map((c) => c.tagName + (c.id ? `#${c.id}` : '')),
          escaped: document.querySelectorAll('#escaped').length,
          dangerous: all
            .filter((el) =>
              ['SCRIPT', 'IMG', 'SVG', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'FORM', 'INPUT', 'MATH', 'LINK', 'META', 'BASE'].includes(
                el.tagName.toUpperCase(),
              ),
            )
            .map((el) => el.tagName),
          attrs: all.flatMap((el) =>
            [...el.attributes].filter((a) => /^on/i.test(a.name) || a.name === 'style').map((a) => `${el.tagName}[${a.name}]`),
          ),
          badLinks: [...list.querySelectorAll('a[href]')]
            .map((a) => a.getAttribute('href') ?? '')
            .filter((h) => !/^(https?:|mailto:)/i.test(h)),
          userTexts: [...list.querySelectorAll('.bubble.user .plain')].map((p) => p.textContent ?? ''),
        };
      });
      expect(report.children.every((c) => c === 'LI.bubble user' || c === 'LI.bubble assistant')).toBe(true);
      expect(report.children.length).toBe(batches.length * 2);
      expect(report.states.every((s) => s === 'done')).toBe(true);
      expect(report.outsideMain).toEqual(['DIV#app', 'NOSCRIPT']);
      expect(report.escaped).toBe(0);
      expect(report.dangerous).toEqual([]);
      expect(report.attrs).toEqual([]);
      expect(report.badLinks).toEqual([]);
      // What the person typed is shown exactly as text.
      expect(report.userTexts).toEqual(batches);
      expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
      expect(hits).toEqual([]);
      expect(outside).toEqual([]);
      expect(violations).toEqual([]);
    });
  });
}

xssThroughChat(
  'XSS through the real chat: the person sends every corpus line and the model replies with them (LLM-3)',
  xssPayloads,
  needsCorpus('xss'),
);
xssThroughChat(
  'XSS through the real chat: the person sends generated payloads and the model replies with them (LLM-3, no corpus needed)',
  () => generatedXssPayloads(96),
);
