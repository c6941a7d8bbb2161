/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { collectCspViolations, ensureWebBuild, launchBrowser, startWebHearth, type WebHearth } from '../webapp/support.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const NAME = 'mia';
const PASSWORD = 'quiet river lantern 2026';

/** The Account page's chat accounts in Chromium, with the real grammY client against the fake Bot API (#15, CH-2). */
describe('#15 identity: linking chat accounts on the Account page', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeTelegram;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    fake = new FakeTelegram(TOKEN);
    const apiRoot = await fake.listen();
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([
      launchBrowser(),
      startWebHearth({ env: { HEARTH_TELEGRAM_BOT_TOKEN: TOKEN, HEARTH_TELEGRAM_API_ROOT: apiRoot } }),
    ]);
    await hearth.hearth.identity.createUser({ name: NAME, password: PASSWORD, role: 'member' });
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await page.getByLabel('Name').fill(NAME);
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('heading', { name: 'Chat accounts' }).waitFor();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('#15 identity: a code from the page sent with /link links the Telegram account; it is listed and can be unlinked', async () => {
    await page.getByText('No chat account is linked to you.').waitFor();
    await page.getByRole('button', { name: 'Get a link code' }).click();
    const command = (await page.locator('code.secret').innerText()).trim();
    expect(command).toMatch(/^\/link [A-Z0-9]{10}$/);
    fake.userSays({ id: 3003, username: 'mia_tg' }, command);
    expect((await fake.messagesTo(3003, 1))[0]?.text).toContain('speak as mia');

    await page.reload();
    const unlink = page.getByRole('button', { name: 'Unlink Telegram mia_tg (3003)' });
    await unlink.waitFor();
    await unlink.click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain('is no longer linked to you');
    expect(await hearth.hearth.channels.identities.find('telegram', '3003')).toBeUndefined();
  });

  it('#15 identity: a code the bot gave (/link) is checked, shown with the account it links, and confirmed', async () => {
    fake.userSays({ id: 4004, username: 'mia_phone' }, '/link');
    const [reply] = await fake.messagesTo(4004, 1);
    const code = /Chat accounts: ([A-Z0-9]{10})/.exec(reply!.text!)![1]!;
    await page.getByLabel('Code from the bot (send it /link to get one)').fill(code);
    await page.getByRole('button', { name: 'Check code' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Link Telegram mia_phone (4004)?' });
    await dialog.waitFor();
    expect(await dialog.innerText()).toContain('Confirm only if it is your own account');
    await dialog.getByRole('button', { name: 'Link Telegram mia_phone (4004)' }).click();
    await expect.poll(() => page.getByRole('status').innerText()).toContain('now speaks as you');
    await page.getByRole('button', { name: 'Unlink Telegram mia_phone (4004)' }).waitFor();
    const me = await hearth.hearth.identity.findUserByName(NAME);
    expect((await hearth.hearth.channels.identities.find('telegram', '4004'))?.userId).toBe(me!.id);

    // The spent code is refused with a clear message.
    await page.getByLabel('Code from the bot (send it /link to get one)').fill(code);
    await page.getByRole('button', { name: 'Check code' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('not valid or has expired');
    expect(violations).toEqual([]);
  });
});
