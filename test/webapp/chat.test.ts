/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import {
  apiAsPage,
  collectCspViolations,
  DOCS,
  ensureWebBuild,
  launchBrowser,
  seedFamiliar,
  sidewaysScroll,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from './support.js';
import { realPng } from './images.js';

const OWNER = 'ada';
const PASSWORD = 'correct horse battery staple 46';

interface Stored {
  id: string;
  role: string;
  content: string;
  status: string;
}

const LONG_REPLY = [
  'Here is a **table** and some code:',
  '',
  '| Tea | Steep |',
  '| --- | --- |',
  '| Green | 2 min |',
  '| Black | 4 min |',
  '',
  '```python',
  'def steep(tea: str, minutes: int = 3) -> str:',
  '    # a comment',
  '    return f"{tea} for {minutes} minutes"',
  '```',
].join('\n');

/** Every bubble, scrolled to in turn, lies wholly inside the visible message area and shows all of its content. */
async function everyBubbleFullyVisible(page: Page): Promise<string[]> {
  const count = await page.locator('ol.messages > li').count();
  const problems: string[] = [];
  for (let i = 0; i < count; i++) {
    const bubble = page.locator('ol.messages > li').nth(i);
    await bubble.scrollIntoViewIfNeeded();
    const problem = await bubble.evaluate((el) => {
      const scroller = el.closest('.scroller')!.getBoundingClientRect();
      const r = el.getBoundingClientRect();
      if (r.height < 20) return `collapsed to ${r.height}px`;
      if (el.scrollHeight > el.clientHeight + 1) return `content clipped (${el.scrollHeight} > ${el.clientHeight})`;
      if (r.height <= scroller.height && (r.top < scroller.top - 1 || r.bottom > scroller.bottom + 1))
        return `outside the visible area (${r.top}-${r.bottom} vs ${scroller.top}-${scroller.bottom})`;
      return null;
    });
    if (problem) problems.push(`#${i}: ${problem}`);
  }
  return problems;
}

describe('#20 chat in Chromium: long threads, Stop on the server, edit, regenerate, delete, titles, code (CH-1)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];
  let familiarId: string;
  let userId: string;

  const stored = async (conversationId: string): Promise<Stored[]> =>
    (await hearth.hearth.conversations.messages(userId, conversationId, { limit: 200 })).map((m) => ({
      id: m.id,
      role: m.role,
      content: m.content,
      status: m.status,
    }));
  const send = async (text: string) => {
    await page.getByRole('textbox', { name: 'Message' }).fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  const currentConversation = () => decodeURIComponent(new URL(page.url()).pathname.slice('/chat/'.length));
  const idle = () => page.getByRole('button', { name: 'Send' }).waitFor();

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth, fake] = await Promise.all([launchBrowser(), startWebHearth(), startFakeOpenAI({ fallback: { text: 'fine' } })]);
    userId = (await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' })).id;
    context = await browser.newContext({ viewport: { width: 1280, height: 820 }, permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/chat`);
    await signInThroughPage(page, OWNER, PASSWORD);
    ({ familiarId } = await seedFamiliar(page, fake.url));
    // Ember has a picture (#20: each reply shows the familiar's avatar).
    const picture = [...realPng(48, 48, [], [0x9a, 0x34, 0x12])];
    const uploaded = await page.evaluate(
      async ({ id, bytes }) => {
        const { csrfToken } = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
        const r = await fetch(`/api/familiars/${id}/avatar`, {
          method: 'PUT',
          headers: { 'content-type': 'image/png', 'x-csrf-token': csrfToken },
          body: new Uint8Array(bytes),
        });
        return r.status;
      },
      { id: familiarId, bytes: picture },
    );
    expect(uploaded).toBe(200);
    await page.reload();
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('#20.1 a 40-message conversation: the newest in view, older pages load on scrolling up, every message fully visible (desktop and 375 px)', async () => {
    const c = await hearth.hearth.conversations.create({ userId, familiarId, channel: 'web', title: 'Forty messages' });
    for (let i = 1; i <= 20; i++) {
      await hearth.hearth.conversations.addMessage({
        conversationId: c.id,
        userId,
        role: 'user',
        content: i % 7 === 0 ? `Message ${i}: ${'a long line of words '.repeat(40)}` : `Message ${i}`,
        status: 'complete',
      });
      await hearth.hearth.conversations.addMessage({
        conversationId: c.id,
        userId,
        role: 'assistant',
        content: i % 5 === 0 ? `Reply ${i}. ${LONG_REPLY}` : `Reply ${i}: ${'so '.repeat(i * 3)}`,
        status: 'complete',
      });
    }
    for (const viewport of [
      { width: 1280, height: 820 },
      { width: 375, height: 700 },
    ]) {
      await page.setViewportSize(viewport);
      await page.goto(`${hearth.baseUrl}/chat/${c.id}`);
      const newest = page.locator('ol.messages > li').filter({ hasText: 'Reply 20.' });
      await newest.waitFor();
      // The newest message is in view without scrolling, and so is the composer.
      await expect
        .poll(() =>
          newest.evaluate((el) => el.getBoundingClientRect().bottom <= el.closest('.scroller')!.getBoundingClientRect().bottom + 1),
        )
        .toBe(true);
      await expect(page.getByRole('textbox', { name: 'Message' }).isVisible()).resolves.toBe(true);
      expect(
        await page.getByRole('textbox', { name: 'Message' }).evaluate((el) => el.getBoundingClientRect().bottom <= window.innerHeight),
      ).toBe(true);
      // The first page holds the newest 30; scrolling to the top brings the rest from the history API.
      expect(await page.locator('ol.messages > li').count()).toBe(30);
      await page.locator('.scroller').evaluate((el) => el.scrollTo({ top: 0 }));
      await expect.poll(() => page.locator('ol.messages > li').count()).toBe(40);
      await page.getByRole('button', { name: 'Load older messages' }).waitFor({ state: 'detached' });
      expect(await page.locator('ol.messages > li').first().innerText()).toContain('Message 1');
      expect(await everyBubbleFullyVisible(page)).toEqual([]);
      expect(await sidewaysScroll(page)).toBeLessThanOrEqual(0);
    }
    await page.setViewportSize({ width: 1280, height: 820 });
  });

  it('#20.1 Stop aborts the provider request (the fake model sees its connection closed); the reply is stored marked stopped', async () => {
    await page.goto(`${hearth.baseUrl}/chat`);
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
    const before = fake.disconnects;
    fake.script.push({ text: 'one two three four five six seven eight nine ten eleven twelve', chunkDelayMs: 300 });
    await send('Tell me a long story.');
    await page.locator('.bubble.assistant[data-state="streaming"]').filter({ hasText: 'two' }).waitFor();
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.locator('.bubble.assistant[data-state="stopped"]').waitFor();
    await expect.poll(() => fake.disconnects).toBe(before + 1);
    const id = currentConversation();
    await expect.poll(async () => (await stored(id)).map((m) => `${m.role}:${m.status}`)).toEqual(['user:complete', 'assistant:stopped']);
    const reply = (await stored(id))[1]!;
    expect(reply.content).toContain('one');
    expect(reply.content).not.toContain('twelve');
    // Reloaded from the server, it still says it was stopped.
    await page.reload();
    await page.locator('.bubble.assistant[data-state="stopped"]').filter({ hasText: 'Stopped.' }).waitFor();
  });

  it('#20.1 Retry after a provider failure sends the message again without storing it twice', async () => {
    await page.goto(`${hearth.baseUrl}/chat`);
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
    // The provider client retries twice; three failures in a row reach the person.
    fake.script.push({ status: 500 }, { status: 500 }, { status: 500 });
    await send('Are you there?');
    const failed = page.locator('.bubble.assistant[data-state="failed"]');
    await failed.waitFor();
    await failed.getByRole('button', { name: 'Retry' }).click();
    await page.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'fine' }).waitFor();
    await idle();
    const messages = await stored(currentConversation());
    expect(messages.filter((m) => m.content === 'Are you there?')).toHaveLength(1);
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(await page.locator('.bubble.user').count()).toBe(1);
  });

  it('#20.1 regenerate the last reply, edit a message and resend (later turns replaced), delete a message', async () => {
    await page.goto(`${hearth.baseUrl}/chat`);
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
    fake.script.push({ text: 'first answer' });
    await send('First question');
    await page.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'first answer' }).waitFor();
    await idle();
    fake.script.push({ text: 'second answer' });
    await send('Second question');
    const second = page.locator('.bubble.assistant').filter({ hasText: 'second answer' });
    await second.waitFor();
    await idle();
    const id = currentConversation();

    // Regenerate: the last reply is replaced, the question is kept once.
    fake.script.push({ text: 'a better second answer' });
    await second.getByRole('button', { name: 'Regenerate' }).click();
    await page.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'a better second answer' }).waitFor();
    await idle();
    expect((await stored(id)).map((m) => m.content)).toEqual([
      'First question',
      'first answer',
      'Second question',
      'a better second answer',
    ]);

    // Edit the first question: everything after it is replaced by the new exchange.
    const first = page.locator('.bubble.user').filter({ hasText: 'First question' });
    await first.getByRole('button', { name: 'Edit' }).click();
    // While editing, the bubble holds the text in a field.
    const editing = page.locator('.bubble.user').filter({ has: page.getByLabel('Edit your message') });
    await editing.getByLabel('Edit your message').fill('First question, rephrased');
    fake.script.push({ text: 'answer to the rephrased question' });
    await editing.getByRole('button', { name: 'Save and send' }).click();
    await page.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'answer to the rephrased question' }).waitFor();
    await idle();
    expect((await stored(id)).map((m) => m.content)).toEqual(['First question, rephrased', 'answer to the rephrased question']);
    expect(await page.locator('ol.messages > li').count()).toBe(2);

    // Delete the reply.
    page.once('dialog', (d) => void d.accept());
    await page.locator('.bubble.assistant').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('.bubble.assistant').count()).toBe(0);
    expect((await stored(id)).map((m) => m.content)).toEqual(['First question, rephrased']);
    await page.reload();
    await page.locator('.bubble.user').filter({ hasText: 'First question, rephrased' }).waitFor();
    expect(await page.locator('.bubble.assistant').count()).toBe(0);
  });

  it('#20.1 code blocks are highlighted with a Copy button (classes only, no inline style), tables render; details show model, tokens and time', async () => {
    await page.goto(`${hearth.baseUrl}/chat`);
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
    fake.script.push({ text: LONG_REPLY, usage: { prompt: 40, completion: 12 } }, { text: 'Steeping tea in Python' });
    await send('Show me code');
    const reply = page.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'def steep' });
    await reply.waitFor();
    await idle();
    expect(await reply.locator('code.hljs .hljs-keyword').count()).toBeGreaterThan(0);
    expect(await reply.locator('code.hljs .hljs-comment').innerText()).toBe('# a comment');
    expect(await reply.locator('[style]').count()).toBe(0);
    expect(await reply.locator('table td').allInnerTexts()).toEqual(['Green', '2 min', 'Black', '4 min']);
    await reply.getByRole('button', { name: 'Copy code' }).click();
    await reply.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toContain('def steep(tea: str, minutes: int = 3) -> str:');
    // Who and when, and the model, tokens and time on demand.
    expect(await reply.locator('.byline').innerText()).toMatch(/Ember\s*\d/);
    await reply.getByText('Details').click();
    const details = await reply.locator('.details dl').innerText();
    expect(details).toContain('fake-model');
    expect(details).toContain('52');
    expect(violations).toEqual([]);
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'web-chat.png') });
  });

  it('#20.1 conversations: titled from the first exchange, renamed, searched, opened by link, deleted', async () => {
    await page.goto(`${hearth.baseUrl}/chat`);
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
    fake.script.push({ text: 'Herons stand very still.' }, { text: 'Herons at dawn' });
    await send('Tell me about the herons by the lake');
    const list = page.getByRole('complementary', { name: 'Conversations' });
    await list.getByRole('link', { name: /Herons at dawn/ }).waitFor();
    const id = currentConversation();
    await expect(page.locator('.thread-title').innerText()).resolves.toBe('Herons at dawn');

    await list.getByRole('button', { name: 'Rename Herons at dawn' }).click();
    await list.getByLabel('New title').fill('Lake birds');
    await list.getByRole('button', { name: 'Save' }).click();
    await list.getByRole('link', { name: /Lake birds/ }).waitFor();
    expect((await apiAsPage<{ title: string }>(page, 'GET', `/api/conversations/${id}`)).title).toBe('Lake birds');

    await list.getByLabel('Search conversations').fill('very still');
    await expect.poll(() => list.getByRole('link').count()).toBe(1);
    await list.getByLabel('Search conversations').fill('no such words anywhere');
    await list.getByText('No conversation matches.').waitFor();
    await list.getByLabel('Search conversations').fill('');

    // The deep link opens the conversation in a new tab too.
    const other = await context.newPage();
    await other.goto(`${hearth.baseUrl}/chat/${id}`);
    await other.locator('.bubble.assistant').filter({ hasText: 'Herons stand very still.' }).waitFor();
    await other.close();

    page.once('dialog', (d) => void d.accept());
    await list.getByRole('button', { name: 'Delete Lake birds' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/chat');
    await expect.poll(() => list.getByRole('link', { name: /Lake birds/ }).count()).toBe(0);
    expect(await hearth.hearth.conversations.get(userId, id)).toBeUndefined();
  });

  it('#20.1 the chat at phone width and in the dark theme (screenshots)', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 740 }, isMobile: true, colorScheme: 'dark' });
    const p = await phone.newPage();
    await p.goto(`${hearth.baseUrl}/chat`);
    await signInThroughPage(p, OWNER, PASSWORD);
    const c = (await hearth.hearth.conversations.list(userId, { limit: 1 }))[0];
    fake.script.push({ text: LONG_REPLY }, { text: 'Tea timer code' });
    await p.getByRole('textbox', { name: 'Message' }).fill('Code, please');
    await p.getByRole('button', { name: 'Send' }).click();
    await p.locator('.bubble.assistant[data-state="done"]').filter({ hasText: 'def steep' }).waitFor();
    const avatar = p.locator('.bubble.assistant').last().locator('img.avatar');
    await expect.poll(() => avatar.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(48);
    expect(await sidewaysScroll(p)).toBeLessThanOrEqual(0);
    expect(
      await p.getByRole('textbox', { name: 'Message' }).evaluate((el) => el.getBoundingClientRect().bottom <= window.innerHeight),
    ).toBe(true);
    await p.screenshot({ path: join(DOCS, 'web-chat-mobile.png') });
    // The conversation list folds away behind its own button on a phone.
    await p.getByRole('button', { name: 'Conversations' }).click();
    await p.getByLabel('Search conversations').waitFor();
    expect(c).toBeDefined();
    await phone.close();

    const dark = await browser.newContext({ viewport: { width: 1280, height: 820 }, colorScheme: 'dark' });
    const d = await dark.newPage();
    await d.goto(`${hearth.baseUrl}/chat`);
    await signInThroughPage(d, OWNER, PASSWORD);
    const last = (await hearth.hearth.conversations.list(userId, { limit: 1 }))[0]!;
    await d.goto(`${hearth.baseUrl}/chat/${last.id}`);
    await d.locator('.bubble.assistant').filter({ hasText: 'def steep' }).waitFor();
    await d.screenshot({ path: join(DOCS, 'web-chat-dark.png') });
    await dark.close();
  });
});
