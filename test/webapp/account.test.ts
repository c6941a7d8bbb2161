/// <reference lib="dom" />
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectCspViolations, ensureWebBuild, launchBrowser, startWebHearth, type WebHearth } from './support.js';

const OWNER = 'ada';
const PASSWORD = 'correct horse battery staple 45';
const OWNER_NEXT = 'a brand new owner passphrase 12';
const MEMBER = 'bo';
const MEMBER_PASSWORD = 'another long passphrase 99';
const MEMBER_NEXT = 'the member chose this one 34';

async function signIn(page: Page, baseUrl: string, name: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/login`);
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

describe('first-run help, account password and reset links in Chromium (issue #17, AUTH-1, AUTH-2)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let violations: string[];
  let page: Page;

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([launchBrowser(), startWebHearth()]);
    page = await browser.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
  });
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
  });

  it('before setup, the sign-in page says setup is pending and where the link is; /setup without a token says so too', async () => {
    await page.goto(`${hearth.baseUrl}/`);
    const pending = page.getByRole('status').filter({ has: page.getByRole('heading', { name: 'Setup pending' }) });
    await pending.waitFor();
    expect(await pending.innerText()).toMatch(/no owner yet/i);
    expect(await pending.innerText()).toContain("server's terminal output");
    expect(await pending.innerText()).toContain('npx hearth setup-link');
    await page.goto(`${hearth.baseUrl}/setup`);
    await page.getByRole('heading', { name: 'Set up Hearth' }).waitFor();
    expect(await page.getByRole('main').innerText()).toContain('npx hearth setup-link');

    // Once an owner exists, the notice is gone and /setup says setup is complete.
    await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' });
    await hearth.hearth.identity.createUser({ name: MEMBER, password: MEMBER_PASSWORD, role: 'member' });
    await page.goto(`${hearth.baseUrl}/setup`);
    await page.getByText('Setup is complete').waitFor();
    await page.goto(`${hearth.baseUrl}/login`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Name').waitFor();
    expect(await page.getByRole('heading', { name: 'Setup pending' }).count()).toBe(0);
  });

  it('AUTH-2: the Account page changes your own password with the current one; a wrong current password is refused', async () => {
    await signIn(page, hearth.baseUrl, OWNER, PASSWORD);
    await nav(page, 'Account');
    await page.getByLabel('Current password').fill('not the password at all');
    await page.getByLabel('New password (at least 12 characters)').fill(OWNER_NEXT);
    await page.getByLabel('Repeat the new password').fill(OWNER_NEXT);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('alert').innerText()).toContain('Current password is wrong');

    await page.getByLabel('Current password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => page.getByRole('status').first().innerText()).toContain('Password changed');
    // This session stays signed in.
    await nav(page, 'Sessions');
    await page.getByRole('button', { name: 'Log out' }).click();
    await signIn(page, hearth.baseUrl, OWNER, OWNER_NEXT);
  });

  it('AUTH-7: an owner makes a one-time reset link on People; the person sets a new password with it, once', async () => {
    const memberSession = await hearth.hearth.identity.login({ name: MEMBER, password: MEMBER_PASSWORD, ip: '127.0.0.1' });
    await nav(page, 'People');
    await page.getByRole('button', { name: `Reset password of ${MEMBER}` }).click();
    const link = (await page.locator('code.secret').innerText()).trim();
    expect(link).toMatch(new RegExp(`^${hearth.baseUrl}/reset-password#token=[A-Za-z0-9_-]{43}$`));
    expect(await page.getByRole('button', { name: `Reset password of ${OWNER}` }).count()).toBe(0);

    const other = await browser.newContext();
    const person = await other.newPage();
    person.setDefaultTimeout(10_000);
    const personViolations = collectCspViolations(person);
    await person.goto(link);
    await person.getByRole('heading', { name: 'Choose a new password' }).waitFor();
    await person.getByLabel('New password (at least 12 characters)').fill(MEMBER_NEXT);
    await person.getByLabel('Repeat the new password').fill(MEMBER_NEXT);
    await person.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => person.getByRole('status').innerText()).toContain('Your new password is set');
    expect(person.url()).toBe(`${hearth.baseUrl}/reset-password`);
    await expect(hearth.hearth.identity.authenticateSession(memberSession.token)).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await person.getByRole('button', { name: 'Sign in' }).click();
    await person.getByRole('heading', { name: 'Sign in' }).waitFor();
    await person.getByLabel('Name').fill(MEMBER);
    await person.getByLabel('Password', { exact: true }).fill(MEMBER_NEXT);
    await person.getByRole('button', { name: 'Sign in' }).click();
    await person.getByRole('button', { name: 'Log out' }).waitFor();

    // The link is spent.
    const again = await other.newPage();
    await again.goto(link);
    await again.getByLabel('New password (at least 12 characters)').fill('yet another long passphrase 56');
    await again.getByLabel('Repeat the new password').fill('yet another long passphrase 56');
    await again.getByRole('button', { name: 'Set new password' }).click();
    await expect.poll(() => again.getByRole('alert').innerText()).toContain('Invalid or expired link');
    await other.close();
    expect(personViolations).toEqual([]);
    expect(hearth.logs.text).not.toContain(link.split('#token=')[1]!);
    expect(violations).toEqual([]);
  });
});
