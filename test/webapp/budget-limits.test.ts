/// <reference lib="dom" />
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetScope } from '../../src/budgets/limits.js';
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

const OWNER = { name: 'olive', password: 'correct horse battery staple 71' };
const MEMBER = { name: 'bob', password: 'another long passphrase 72' };
const CAROL = { name: 'carol', password: 'another long passphrase 73' };

describe('#22 dashboard: the budget limits editor, in Chromium (strict CSP, axe)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let bobId = '';
  let carolId = '';
  let solId = '';

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([launchBrowser(), startWebHearth()]);
    const h = hearth.hearth;
    await h.identity.createUser({ ...OWNER, role: 'owner' });
    bobId = (await h.identity.createUser({ ...MEMBER, role: 'member' })).id;
    carolId = (await h.identity.createUser({ ...CAROL, role: 'member' })).id;
    const system = { type: 'system' as const };
    await h.familiars.create({ slug: 'luna', name: 'Luna', persona: 'You are Luna.', model: 'm' }, system);
    solId = (await h.familiars.create({ slug: 'sol', name: 'Sol', persona: 'You are Sol.', model: 'm' }, system)).id;
    // the members' default, set before the page opens
    await h.budgets.setLimits({ kind: 'role', role: 'member' }, { tokensPerDay: 1000 }, system);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
  });

  const limitsOf = async (scope: BudgetScope) =>
    (await hearth.hearth.budgets.listLimits()).find((l) => JSON.stringify(l.scope) === JSON.stringify(scope))?.limits;
  const voiceOf = async (scope: BudgetScope) =>
    (await hearth.hearth.voiceBudgets.list()).find((l) => JSON.stringify(l.scope) === JSON.stringify(scope));

  async function openLimits(page: Page): Promise<void> {
    await page.goto(`${hearth.baseUrl}/login`);
    await signInThroughPage(page, OWNER.name, OWNER.password);
    await page.goto(`${hearth.baseUrl}/usage`);
    await page.getByRole('heading', { level: 2, name: 'Limits' }).waitFor();
  }
  const table = (page: Page) => page.getByRole('table', { name: 'Budget limits' });
  const field = (page: Page, label: string) => page.getByLabel(label, { exact: true });

  it('#22 web: shows the limits per role, person and familiar; invalid figures are marked and nothing is sent; valid ones are stored exactly', async () => {
    // tall enough for the whole section in the screenshot (the app scrolls inside its main pane)
    const context = await browser.newContext({ viewport: { width: 1280, height: 1700 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    const writes: string[] = [];
    page.on('request', (r) => r.method() === 'PUT' && writes.push(r.url()));
    await openLimits(page);
    expect(
      await table(page)
        .getByRole('row', { name: /Every member \(default\)/ })
        .innerText(),
    ).toContain('1,000');

    // a person's own limits, with mistakes first
    await field(page, 'Applies to').selectOption('person');
    await field(page, 'Person').selectOption({ label: MEMBER.name });
    await field(page, 'Tokens per day').fill('-5');
    await field(page, 'Cost per day').fill('two euros');
    await field(page, 'Voice minutes per day').fill('1.5');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('alert').getByText('Some limits are not valid; see the marked fields.').waitFor();
    expect(await field(page, 'Tokens per day').getAttribute('aria-invalid')).toBe('true');
    expect(await field(page, 'Cost per day').getAttribute('aria-invalid')).toBe('true');
    expect(await field(page, 'Voice minutes per day').getAttribute('aria-invalid')).toBe('true');
    expect(await field(page, 'Tokens per month').getAttribute('aria-invalid')).toBeNull();
    await page.getByText('Enter a whole number, 0 or more, or leave it empty for no limit.').waitFor();
    await page.getByText('Enter whole minutes, 0 or more, or leave it empty for no limit.').waitFor();
    await field(page, 'Tool calls per day').fill('2000000000000');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByText('At most 1,000,000,000,000.').waitFor();
    expect(writes).toEqual([]);
    expect(await limitsOf({ kind: 'person', userId: bobId })).toBeUndefined();
    expect(await seriousA11yViolations(page)).toEqual([]);

    await field(page, 'Tokens per day').fill('5000');
    await field(page, 'Tokens per month').fill('100,000');
    await field(page, 'Cost per day').fill('2.5');
    await field(page, 'Tool calls per day').fill('20');
    await field(page, 'Voice minutes per day').fill('10');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('status').getByText(`Saved the limits of ${MEMBER.name}.`).waitFor();
    expect(await field(page, 'Tokens per day').getAttribute('aria-invalid')).toBeNull();
    expect(await limitsOf({ kind: 'person', userId: bobId })).toEqual({
      tokensPerDay: 5000,
      tokensPerMonth: 100_000,
      costPerDay: 2_500_000, // micro-units
      costPerMonth: null,
      toolCallsPerDay: 20,
      toolCallsPerMonth: null,
    });
    expect(await voiceOf({ kind: 'person', userId: bobId })).toMatchObject({ minutesPerDay: 10, minutesPerMonth: null });
    const bobRow = table(page).getByRole('row', { name: new RegExp(`^${MEMBER.name} `) });
    await bobRow.waitFor();
    expect(await bobRow.innerText()).toMatch(/5,000\s+100,000\s+2\.5\s+—\s+20\s+—\s+10\s+—/);

    // a person with one familiar, and a familiar's total
    for (const f of ['Tokens per day', 'Tokens per month', 'Cost per day', 'Tool calls per day', 'Voice minutes per day'])
      await field(page, f).fill('');
    await field(page, 'Applies to').selectOption('person_familiar');
    await field(page, 'Person').selectOption({ label: MEMBER.name });
    await field(page, 'Familiar').selectOption({ label: 'Sol' });
    await field(page, 'Tokens per day').fill('300');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('status').getByText(`Saved the limits of ${MEMBER.name} with Sol.`).waitFor();
    await field(page, 'Applies to').selectOption('familiar');
    await field(page, 'Familiar').selectOption({ label: 'Luna' });
    await field(page, 'Tokens per day').fill('');
    await field(page, 'Tokens per month').fill('2000000');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('status').getByText('Saved the limits of Luna (everyone together).').waitFor();
    expect(await limitsOf({ kind: 'person', userId: bobId, familiarId: solId })).toMatchObject({ tokensPerDay: 300 });
    await table(page)
      .getByRole('row', { name: /Luna \(everyone together\)/ })
      .waitFor();
    await page.locator('section.budget-limits').screenshot({ path: join(DOCS, 'web-budget-limits.png') });
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });

  it('#22 web: edit fills the form; remove deletes a scope; the server’s own refusal is shown (a person erased meanwhile)', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    await openLimits(page);
    await page.getByRole('button', { name: `Edit ${MEMBER.name}`, exact: true }).click();
    expect(await field(page, 'Tokens per day').inputValue()).toBe('5000');
    expect(await field(page, 'Voice minutes per day').inputValue()).toBe('10');
    await field(page, 'Tokens per day').fill('6000');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('status').getByText(`Saved the limits of ${MEMBER.name}.`).waitFor();
    expect((await limitsOf({ kind: 'person', userId: bobId }))?.tokensPerDay).toBe(6000);

    await page.getByRole('button', { name: 'Remove Every member (default)' }).click();
    await page.getByRole('status').getByText('Removed the limits of Every member (default).').waitFor();
    await expect
      .poll(() =>
        table(page)
          .getByRole('row', { name: /Every member/ })
          .count(),
      )
      .toBe(0);
    expect(await limitsOf({ kind: 'role', role: 'member' })).toBeUndefined();

    // carol is on the list, then erased before the save: the API's 404 is what the admin reads
    await field(page, 'Applies to').selectOption('person');
    await field(page, 'Person').selectOption({ label: CAROL.name });
    await hearth.hearth.privacy.erase(carolId, { type: 'system' });
    for (const f of ['Tokens per month', 'Cost per day', 'Tool calls per day', 'Voice minutes per day']) await field(page, f).fill('');
    await field(page, 'Tokens per day').fill('10');
    await page.getByRole('button', { name: 'Save limits' }).click();
    await page.getByRole('alert').getByText('Person not found').waitFor();
    expect(await limitsOf({ kind: 'person', userId: carolId })).toBeUndefined();
    expect(violations).toEqual([]);
    await context.close();
  });

  it('#22 web: the editor fits a phone in the dark theme, axe-clean', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 800 }, colorScheme: 'dark' });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const violations = collectCspViolations(page);
    await openLimits(page);
    await table(page).waitFor();
    expect(await sidewaysScroll(page)).toBe(0);
    expect(await seriousA11yViolations(page)).toEqual([]);
    expect(violations).toEqual([]);
    await context.close();
  });
});
