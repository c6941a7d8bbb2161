/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { collectCspViolations, ensureWebBuild, launchBrowser, startWebHearth, type WebHearth } from './support.js';

const NAME = 'grace';
const PASSWORD = 'correct horse battery staple 43';

describe('chat in Chromium: Stop, and a clear message on rate limit (CH-1, HTTP-3)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    await ensureWebBuild();
    // Two turns a minute: the stopped one and one more; the third is refused with 429.
    [browser, hearth, fake] = await Promise.all([
      launchBrowser(),
      startWebHearth({ env: { HEARTH_RATE_CHAT_TURNS: '2' } }),
      startFakeOpenAI({ fallback: { text: 'fine' } }),
    ]);
    await hearth.hearth.identity.createUser({ name: NAME, password: PASSWORD, role: 'owner' });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/chat`);
    await page.getByLabel('Name').fill(NAME);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.evaluate(async (url) => {
      const { csrfToken } = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
      const post = async (path: string, body: unknown) =>
        (await (
          await fetch(path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
            body: JSON.stringify(body),
          })
        ).json()) as { id: string };
      const provider = await post('/api/providers', { name: 'Fake', baseUrl: url, defaultModel: 'fake-model' });
      await post('/api/familiars', { slug: 'ember', name: 'Ember', persona: 'A companion.', model: 'fake-model', providerId: provider.id });
    }, fake.url);
    await page.reload();
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('Stop ends a streaming reply and marks it stopped', async () => {
    fake.script.push({ text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 400 });
    await page.getByRole('textbox', { name: 'Message' }).fill('Tell me a long story.');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('.bubble.assistant[data-state="streaming"]').filter({ hasText: 'one' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    const stopped = page.locator('.bubble.assistant[data-state="stopped"]');
    await stopped.waitFor();
    await expect(stopped.innerText()).resolves.toContain('Stopped.');
    await expect(stopped.innerText()).resolves.not.toContain('twelve');
    await page.getByRole('button', { name: 'Send' }).waitFor();
  });

  it('HTTP-3: over the chat rate limit the person sees a clear message with the wait, and nothing half-sent', async () => {
    const send = async (text: string) => {
      await page.getByRole('textbox', { name: 'Message' }).fill(text);
      await page.getByRole('button', { name: 'Send' }).click();
    };
    await send('Second message');
    await page.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'fine' }).waitFor();
    await send('Third message');
    const failed = page.locator('.bubble.assistant[data-state="failed"]');
    await failed.waitFor();
    const text = await failed.getByRole('alert').innerText();
    expect(text).toMatch(/Slow down: Rate limit exceeded \(try again in \d+ s\)/);
    expect(text).toContain('Retry');
    // The refused turn reached neither the model nor the stored conversation.
    const stored = await page.evaluate(async () => {
      const { conversations } = (await (await fetch('/api/conversations')).json()) as { conversations: Array<{ id: string }> };
      const { messages } = (await (await fetch(`/api/conversations/${conversations[0]!.id}/messages`)).json()) as {
        messages: Array<{ content: string }>;
      };
      return messages.map((m) => m.content);
    });
    expect(stored).not.toContain('Third message');
    expect(violations).toEqual([]);
  });
});
