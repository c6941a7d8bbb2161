/// <reference lib="dom" />
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/telegram-server.js';
import {
  collectCspViolations,
  DOCS,
  ensureWebBuild,
  launchBrowser,
  seriousA11yViolations,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from './support.js';

const OWNER = { name: 'olive', password: 'correct horse battery staple 81' };
const SOL_TOKEN = '555000111:SOLqTcvCH1vGWJxfSeofSAs0K5PALDsaw7';

describe('#22 dashboard: Twitch channels and Telegram bots per familiar, in Chromium (strict CSP, axe)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeTelegram;
  let solId = '';

  beforeAll(async () => {
    await ensureWebBuild();
    fake = new FakeTelegram(SOL_TOKEN, 'sol_bot');
    const apiRoot = await fake.listen();
    // no main bot: a familiar's own bot runs without one
    [browser, hearth] = await Promise.all([launchBrowser(), startWebHearth({ env: { HEARTH_TELEGRAM_API_ROOT: apiRoot } })]);
    const h = hearth.hearth;
    await h.identity.createUser({ ...OWNER, role: 'owner' });
    const system = { type: 'system' as const };
    await h.familiars.create({ slug: 'luna', name: 'Luna', persona: 'You are Luna.', model: 'm' }, system);
    solId = (await h.familiars.create({ slug: 'sol', name: 'Sol', persona: 'You are Sol.', model: 'm' }, system)).id;
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('#22 web: an admin joins a Twitch channel for a familiar and adds a familiar’s Telegram bot; the token is never shown back', async () => {
    const context = await browser.newContext({ viewport: { width: 1200, height: 1600 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    const answers: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/channels/'))
        void r.text().then(
          (t) => answers.push(t),
          () => undefined,
        );
    });
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, OWNER.name, OWNER.password);
    await page.goto(`${hearth.baseUrl}/channel-familiars`);
    await page.getByRole('heading', { level: 2, name: 'Twitch channels' }).waitFor();

    // Twitch: a wrong command is explained in the page, then the channel is joined
    await page.getByLabel('Broadcaster id', { exact: true }).fill('500');
    await page.getByLabel('Command', { exact: true }).fill('luna');
    await page.getByLabel('Familiar of the channel', { exact: true }).selectOption({ label: 'Luna' });
    await page.getByRole('button', { name: 'Join' }).click();
    await page
      .getByRole('alert')
      .getByText(/The command is ! and 1–30 letters/)
      .waitFor();
    await page.getByLabel('Command', { exact: true }).fill('!Luna');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.getByRole('status').getByText('Luna answers !luna in Twitch channel 500.').waitFor();
    await page
      .getByRole('table', { name: 'Twitch channels' })
      .getByRole('row', { name: /500 !luna Luna dashboard/ })
      .waitFor();

    // Telegram: a token Telegram refuses is the API's clear error; the right one starts the bot
    await page.getByLabel('Familiar of the bot', { exact: true }).selectOption({ label: 'Sol' });
    await page.getByLabel('Bot token', { exact: true }).fill('444000222:NOPEcvCH1vGWJxfSeofSAs0K5PALDsaw1');
    await page.getByRole('button', { name: 'Add bot' }).click();
    await page.getByRole('alert').getByText('Telegram did not accept this bot token').waitFor();
    await page.getByLabel('Bot token', { exact: true }).fill(SOL_TOKEN);
    await page.getByRole('button', { name: 'Add bot' }).click();
    await page.getByRole('status').getByText('Sol now has its own bot @sol_bot.').waitFor();
    expect(await page.getByLabel('Bot token', { exact: true }).inputValue()).toBe('');
    const row = page.getByRole('table', { name: 'Telegram bots per familiar' }).getByRole('row', { name: /Sol @sol_bot/ });
    await row.waitFor();
    await page.reload();
    await row.getByText(/running|starting/).waitFor();
    await expect
      .poll(async () => (await hearth.hearth.channels.telegramBots.list()).map((b) => [b.familiarId, b.running]))
      .toEqual([[solId, true]]);
    expect(await seriousA11yViolations(page)).toEqual([]);
    await page.screenshot({ path: join(DOCS, 'web-channel-bots.png'), fullPage: true });
    const secret = SOL_TOKEN.split(':')[1]!;
    expect(await page.content()).not.toContain(secret);
    expect(answers.join('\n')).not.toContain(secret);

    await page.getByRole('button', { name: 'Remove Sol’s bot' }).click();
    await page.getByRole('status').getByText('Sol’s bot is stopped and its token forgotten.').waitFor();
    expect(await hearth.hearth.channels.telegramBots.list()).toEqual([]);
    await page.getByRole('button', { name: 'Leave Twitch channel 500' }).click();
    await page.getByRole('status').getByText('Left Twitch channel 500.').waitFor();
    expect(violations).toEqual([]);
    await context.close();
  });
});
