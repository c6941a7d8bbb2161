/// <reference lib="dom" />
import type { Browser, BrowserContext, Dialog, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectCspViolations, ensureWebBuild, launchBrowser, startWebHearth, type WebHearth } from './support.js';

const OWNER = 'ada';
const PASSWORD = 'correct horse battery staple 44';
const SERVICE_KEY = 'svc-test-key-0123456789abcdef0123456789';

async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: label }).waitFor();
}

describe('dashboard pages in Chromium: keys, people, audit, observability (AUTH-5, DATA-5, LOG-3, HTTP-7)', () => {
  let browser: Browser;
  let context: BrowserContext;
  let hearth: WebHearth;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([launchBrowser(), startWebHearth({ env: { HEARTH_SERVICE_KEY: SERVICE_KEY } })]);
    await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' });
    await hearth.hearth.identity.createUser({ name: 'bob', password: 'another long passphrase 99', role: 'member' });
    context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await page.getByLabel('Name').fill(OWNER);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Log out' }).waitFor();
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await hearth?.close();
  });

  it('AUTH-5: a new API key is shown once, copies to the clipboard, and is gone after Done', async () => {
    await nav(page, 'API keys');
    await page.getByLabel('Name').fill('laptop');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.locator('#new-key').innerText();
    expect(key).toMatch(/^hth_/);
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await page.getByRole('button', { name: 'Copied' }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);
    await page.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('row', { name: /laptop/ }).waitFor();
    expect(await page.content()).not.toContain(key);
    await page.reload();
    await page.getByRole('row', { name: /laptop/ }).waitFor();
    expect(await page.content()).not.toContain(key);
  });

  it('DATA-5: erasing a person needs their name typed into a confirmation that names them', async () => {
    await nav(page, 'People');
    await page.getByRole('button', { name: 'Erase bob…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Erase bob?' });
    await dialog.waitFor();
    const confirm = dialog.getByRole('button', { name: 'Erase bob' });
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type bob to confirm').fill('bo');
    expect(await confirm.isDisabled()).toBe(true);
    await dialog.getByLabel('Type bob to confirm').fill('bob');
    await confirm.click();
    await page.getByText('bob and everything they stored were erased.').waitFor();
    await expect.poll(() => page.getByRole('row', { name: /bob/ }).count()).toBe(0);
  });

  it('LOG-3: the audit log lists events and filters them by action', async () => {
    await nav(page, 'Audit log');
    await page.getByRole('cell', { name: 'auth.login' }).first().waitFor();
    await page.getByLabel('Action').fill('apikey.');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect
      .poll(async () => (await page.locator('tbody tr td:nth-child(2)').allInnerTexts()).every((a) => a.startsWith('apikey.')))
      .toBe(true);
  });

  it('AUTH-2: the sessions page lists this session and revokes another one', async () => {
    const other = await browser.newContext();
    const second = await other.newPage();
    await second.goto(`${hearth.baseUrl}/login`);
    await second.getByLabel('Name').fill(OWNER);
    await second.getByLabel('Password').fill(PASSWORD);
    await second.getByRole('button', { name: 'Sign in' }).click();
    await second.getByRole('button', { name: 'Log out' }).waitFor();
    await nav(page, 'Sessions');
    await page.getByText('(this one)').waitFor();
    const others = page
      .getByRole('row')
      .filter({ hasNot: page.getByText('(this one)') })
      .filter({ has: page.getByRole('button', { name: 'Revoke' }) });
    expect(await others.count()).toBe(1);
    await others.getByRole('button', { name: 'Revoke' }).click();
    await expect.poll(() => others.count()).toBe(0);
    // The revoked browser is signed out on its next request.
    await second.reload();
    await second.getByRole('heading', { name: 'Sign in' }).waitFor();
    await other.close();
  });

  it('pairings and approvals pages show their queues from the channel and tool APIs', async () => {
    await nav(page, 'Pairings');
    await page.getByText('No pairing requests are waiting.').waitFor();
    // #20: a stranger writing to a bot shows up live (the events stream), without a reload; a decision takes it away.
    await page.evaluate(() => ((window as unknown as { __sameDocument?: number }).__sameDocument = 1));
    const admission = await hearth.hearth.channels.hub.admit({ channel: 'telegram', externalId: '4242', displayName: 'newcomer' });
    expect(admission.kind).toBe('pairing');
    const code = (await hearth.hearth.channels.hub.pending())[0]!.code;
    const row = page.getByRole('row', { name: /newcomer/ });
    await row.getByRole('cell', { name: code, exact: true }).waitFor();
    await row.getByRole('button', { name: `Deny ${code}` }).click();
    await page.getByText(`Denied ${code}.`).waitFor();
    await page.getByText('No pairing requests are waiting.').waitFor();
    await hearth.hearth.channels.hub.admit({ channel: 'telegram', externalId: '5151', displayName: 'second stranger' });
    await page.getByRole('row', { name: /second stranger/ }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { __sameDocument?: number }).__sameDocument)).toBe(1);
    // The stream is for admins only.
    const anonymous = await fetch(`${hearth.baseUrl}/api/pairings/events`);
    expect(anonymous.status).toBe(401);
    await nav(page, 'Approvals');
    await page.getByText('No commands are waiting for approval.').waitFor();
  });

  it('HTTP-7: observability draws request rate and latency charts from samples taken with the service key', async () => {
    await nav(page, 'Observability');
    await page.getByLabel('Service key').fill(SERVICE_KEY);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('img', { name: 'Request rate' }).waitFor({ timeout: 20_000 });
    await page.getByRole('img', { name: 'Latency' }).waitFor();
    expect(await page.locator('polyline').count()).toBe(4);
    await expect(page.getByLabel('Service key').inputValue()).resolves.toBe('');
    expect(violations).toEqual([]);
  });
  it('#15 deleting a familiar shows what it holds first; the operator may keep its data', async () => {
    const owner = (await hearth.hearth.identity.findUserByName(OWNER))!;
    const familiar = await hearth.hearth.familiars.create(
      { slug: 'wren', name: 'Wren', persona: 'A quiet friend.', model: 'm' },
      { type: 'system' },
    );
    await hearth.hearth.memory.repo.add({
      userId: owner.id,
      familiarId: familiar.id,
      kind: 'memory',
      text: 'likes herons',
      provenance: 'owner',
    });
    await nav(page, 'Familiars');
    const asked: string[] = [];
    const answer = (d: Dialog) => {
      asked.push(d.message());
      // First question: delete it with everything? No. Second: delete it and keep its data? Yes.
      void (asked.length === 1 ? d.dismiss() : d.accept());
    };
    page.on('dialog', answer);
    await page.getByRole('listitem').filter({ hasText: 'Wren' }).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { level: 2, name: 'Wren' }).waitFor({ state: 'detached' });
    page.off('dialog', answer);
    expect(asked).toHaveLength(2);
    expect(asked[0]).toMatch(/everything it holds \(.*\b1 memor/);
    expect(asked[1]).toMatch(/keep its data/);
    expect(await hearth.hearth.familiars.get(familiar.id)).toBeUndefined();
    expect((await hearth.hearth.memory.repo.list({ userId: owner.id, familiarId: familiar.id })).map((m) => m.text)).toEqual([
      'likes herons',
    ]);
    expect(violations).toEqual([]);
  });
});
