import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import {
  collectCspViolations,
  DOCS,
  ensureWebBuild,
  launchBrowser,
  seedFamiliar,
  signInThroughPage,
  startWebHearth,
  type WebHearth,
} from '../webapp/support.js';
import { createSandbox, createShellParser, createShellPolicy, createShellTool, parseAllowlist } from '../../src/tools/shell/index.js';
import type { ToolResult } from '../../src/tools/index.js';

const OWNER = 'olive';
const PASSWORD = 'correct horse battery staple 42';

/** #16 in Chromium: the chat's "waiting for the owner's approval" card and the live Approvals page (EXEC-1). */
describe('#16 EXEC-1 approvals on the web: the chat card, the live badge and the Approvals page', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let context: BrowserContext;
  let page: Page;
  let violations: string[];
  let familiarId = '';
  let ownerId = '';

  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth, fake] = await Promise.all([launchBrowser(), startWebHearth(), startFakeOpenAI({ fallback: { text: 'fine' } })]);
    ownerId = (await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' })).id;
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/chat`);
    await signInThroughPage(page, OWNER, PASSWORD);
    ({ familiarId } = await seedFamiliar(page, fake.url, { allowedTools: ['shell'] }));
    await hearth.hearth.tools.shellEnablement.enable(familiarId, ownerId);
    await page.reload();
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await hearth?.close();
    await fake?.close();
  });

  it('the chat shows the waiting command whole, with Approve/Deny for the owner; Approve runs it and the reply arrives', async () => {
    const command = "grep -rn 'TODO' src | sort | uniq -c > todo-report.txt && wc -l todo-report.txt";
    fake.script.push({ toolCalls: [{ name: 'shell', arguments: JSON.stringify({ command }) }] }, { text: 'I wrote the TODO report.' });
    await page.locator('#familiar option', { hasText: 'Ember' }).waitFor({ state: 'attached' });
    await page.getByRole('textbox', { name: 'Message' }).fill('Count the TODOs in the project, please.');
    await page.getByRole('button', { name: 'Send' }).click();
    const card = page.locator('.approval-card');
    await card.waitFor();
    await expect(card.locator('.approval-command').innerText()).resolves.toBe(command);
    await card.getByRole('button', { name: 'Approve' }).waitFor();
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'web-approval-chat.png') });
    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByText('I wrote the TODO report.').waitFor();
    await card.waitFor({ state: 'detached' });
    const toolMessages = fake.requests.flatMap((r) =>
      ((r.body.messages as Array<{ role: string; content: unknown }> | undefined) ?? [])
        .filter((m) => m.role === 'tool')
        .map((m) => String(m.content)),
    );
    expect(toolMessages.some((m) => m.includes('exit code: 0'))).toBe(true);
  }, 60_000);

  it('a request made elsewhere appears live on the Approvals page with a badge; Deny refuses it', async () => {
    await page.getByRole('link', { name: /Approvals/ }).click();
    await page.getByText('No commands are waiting for approval.').waitFor();
    const tool = createShellTool({
      policy: createShellPolicy({ parser: await createShellParser(), allowlist: parseAllowlist('echo') }),
      sandbox: createSandbox({ bwrapPath: '/usr/bin/bwrap', timeoutMs: 5000, outputLimit: 4096 }),
      approvals: hearth.hearth.approvals,
      audit: hearth.hearth.audit,
    });
    const command = 'git log --output=changes.txt --since="2 weeks ago"\nfind . -name "*.log" -fprint old-logs.txt';
    const result: Promise<ToolResult> = tool.run(
      { command },
      { userId: ownerId, familiarId, conversationId: 'elsewhere', signal: new AbortController().signal, audit: hearth.hearth.audit },
    );
    const card = page.locator('.approval-card');
    await card.waitFor(); // no reload: the page is fed by Server-Sent Events
    await expect(card.locator('.approval-command').innerText()).resolves.toBe(command);
    await expect(page.locator('.approval-badge').innerText()).resolves.toBe('1');
    await expect(card.innerText()).resolves.toContain('git writes to changes.txt');
    await page.screenshot({ path: join(DOCS, 'web-approvals.png') });
    await card.getByRole('button', { name: 'Deny' }).click();
    expect(await result).toMatchObject({ ok: false, code: 'APPROVAL_DENIED' });
    await page.getByText('No commands are waiting for approval.').waitFor();
    await page.locator('.approval-badge').waitFor({ state: 'detached' });
    expect(violations).toEqual([]);
  }, 60_000);
});
