import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
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

const OWNER = 'olive';
const PASSWORD = 'correct horse battery staple 42';

/** #16 in Chromium: the familiar editor's shell sandbox fields (workspaces, network destinations). */
describe('#16 EXEC-1 the familiar editor sets the shell sandbox: workspaces under the root, host:port destinations', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let fake: FakeOpenAI;
  let page: Page;
  let violations: string[];
  let familiarId = '';
  let root = '';

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'hearth-fsb-web-'));
    chmodSync(root, 0o755);
    mkdirSync(join(root, 'site'));
    chmodSync(join(root, 'site'), 0o777); // writable by the sandbox's user (nobody, under root)
    await ensureWebBuild();
    [browser, hearth, fake] = await Promise.all([
      launchBrowser(),
      startWebHearth({ env: { HEARTH_SHELL_WORKSPACE_ROOT: root } }),
      startFakeOpenAI({ fallback: { text: 'fine' } }),
    ]);
    await hearth.hearth.identity.createUser({ name: OWNER, password: PASSWORD, role: 'owner' });
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/familiars`);
    await signInThroughPage(page, OWNER, PASSWORD);
    ({ familiarId } = await seedFamiliar(page, fake.url, { allowedTools: ['shell'] }));
    await page.reload();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await hearth?.close();
    await fake?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('saves a workspace and a destination; a path out of the root is refused with the server’s reason', async () => {
    await page
      .getByRole('button', { name: /^Edit / })
      .first()
      .click();
    const form = page.getByRole('form', { name: 'Shell sandbox' });
    await form.waitFor();
    await form.getByLabel(/^Workspaces/).fill('notes=../');
    await form.getByRole('button', { name: 'Save sandbox' }).click();
    await form.getByRole('alert').filter({ hasText: 'may not use ".."' }).waitFor();
    await form.getByLabel(/^Workspaces/).fill('site=site:rw');
    await form.getByLabel(/^Network destinations/).fill('api.github.com:443\n127.0.0.1:8080');
    await form.getByRole('button', { name: 'Save sandbox' }).click();
    await form.getByRole('status').filter({ hasText: 'Saved the shell sandbox settings.' }).waitFor();
    mkdirSync(DOCS, { recursive: true });
    await form.screenshot({ path: join(DOCS, 'shell-sandbox-editor.png') });
    const saved = await hearth.hearth.tools.familiarSandbox.get(familiarId);
    expect(saved.workspaces).toEqual([{ name: 'site', path: 'site', writable: true }]);
    expect(saved.network).toEqual(['api.github.com:443', '127.0.0.1:8080']);
    expect(violations).toEqual([]);
  }, 60_000);
});
