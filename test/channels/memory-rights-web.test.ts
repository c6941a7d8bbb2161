/// <reference lib="dom" />
import { readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  collectCspViolations,
  ensureWebBuild,
  launchBrowser,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from '../webapp/support.js';

const ADA = { name: 'ada', password: 'correct horse battery staple 21' };
const BO = { name: 'bo', password: 'another long passphrase 2121' };

describe('#21 memory rights on the web: why a memory is kept, forget one, forget everything (MEM-2, DATA-4)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let page: Page;
  let violations: string[];
  let ada: string;
  let bo: string;
  let familiarId: string;

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([launchBrowser(), startWebHearth()]);
    const h = hearth.hearth;
    ada = (await h.identity.createUser({ ...ADA, role: 'owner' })).id;
    bo = (await h.identity.createUser({ ...BO, role: 'member' })).id;
    familiarId = (await h.familiars.create({ slug: 'wren', name: 'Wren', persona: 'kind', model: 'm' }, { type: 'system' })).id;
    const conv = await h.conversations.create({ userId: ada, familiarId, channel: 'telegram' });
    const msg = await h.conversations.addMessage({
      conversationId: conv.id,
      userId: ada,
      role: 'user',
      content: 'I keep bees',
      status: 'complete',
    });
    await h.memory.repo.add({
      userId: ada,
      familiarId,
      text: 'Keeps bees',
      provenance: 'familiar',
      sourceRef: `conversation:${conv.id}/message:${msg.id}`,
    });
    await h.memory.repo.add({ userId: ada, familiarId, text: 'Plays cello', provenance: 'person', metadata: { channel: 'discord' } });
    await h.memory.repo.add({ userId: bo, familiarId, text: 'Bo secret', provenance: 'person' });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    page.on('dialog', (d) => void d.accept());
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, ADA.name, ADA.password);
    await page.goto(`${hearth.baseUrl}/memories`);
    await page.getByRole('heading', { level: 1, name: 'Memories' }).waitFor();
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
  });

  it('#21 "Why?" shows the origin and the conversation a memory came from; only the caller\'s own memories are listed', async () => {
    const bees = page.locator('.memory').filter({ hasText: 'Keeps bees' });
    await bees.getByRole('button', { name: 'Why?' }).click();
    const why = bees.getByRole('list', { name: 'Where it came from' });
    await why.getByText(/From a conversation on telegram/).waitFor();
    expect(await why.innerText()).toMatch(/the familiar noted it/);
    const cello = page.locator('.memory').filter({ hasText: 'Plays cello' });
    await cello.getByRole('button', { name: 'Why?' }).click();
    await cello.getByText('Said on discord.').waitFor();
    expect(await page.getByRole('main').innerText()).not.toContain('Bo secret');
  });

  it("#21 Export downloads the caller's own data with every memory and its source; nothing of anyone else", async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export' }).click()]);
    const path = await download.path();
    const text = await readFile(path, 'utf8');
    const data = JSON.parse(text) as { memories: Array<{ text: string; sourceRef: string | null }> };
    expect(data.memories.map((m) => m.text).sort()).toEqual(['Keeps bees', 'Plays cello']);
    expect(data.memories.find((m) => m.text === 'Keeps bees')?.sourceRef).toMatch(/^conversation:/);
    expect(text).not.toContain('Bo secret');
  });

  it('#21 forget one, then forget everything: gone for the caller, untouched for anyone else', async () => {
    await page.locator('.memory').filter({ hasText: 'Plays cello' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('.memory').count()).toBe(1);
    await page.getByRole('button', { name: 'Forget everything' }).click();
    await page.getByText('No memories yet.').waitFor();
    expect(await hearth.hearth.memory.repo.list({ userId: ada })).toEqual([]);
    expect((await hearth.hearth.memory.repo.list({ userId: bo })).map((m) => m.text)).toEqual(['Bo secret']);
    expect((await hearth.hearth.audit.list({ action: 'memory.delete' })).length).toBe(2);
    expect(violations).toEqual([]);
  });
});
