/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { needsCorpus } from '../support/corpora.js';
import { markdownBundle } from './markdown-harness.js';
import {
  armXssTrap,
  collectCspViolations,
  DOCS,
  ensureWebBuild,
  generatedXssPayloads,
  launchBrowser,
  startWebHearth,
  xssPayloads,
  type WebHearth,
} from './support.js';

describe('web app in Chromium under the strict CSP (HTTP-1, LLM-3)', () => {
  let browser: Browser;
  let hearth: WebHearth;
  let context: BrowserContext;
  beforeAll(async () => {
    await ensureWebBuild();
    [browser, hearth] = await Promise.all([launchBrowser(), startWebHearth()]);
  });
  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await hearth?.close();
  });

  it('HTTP-1: the app boots under the CSP with no violation, labelled fields and keyboard focus', async () => {
    context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    const violations = collectCspViolations(page);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const res = await page.goto(`${hearth.baseUrl}/chat`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    await expect(page.getByLabel('Name').isVisible()).resolves.toBe(true);
    await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('f-name');
    // Styles come from the stylesheet file (a blocked stylesheet would leave buttons unstyled).
    const bg = await page.getByRole('button', { name: 'Sign in' }).evaluate((b) => getComputedStyle(b).backgroundColor);
    expect(bg).not.toBe('rgba(0, 0, 0, 0)');
    expect(violations).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('HTTP-1: an injected inline script is refused by the CSP the app is served with (the control)', async () => {
    const page = await context.newPage();
    const violations = collectCspViolations(page);
    await page.goto(`${hearth.baseUrl}/login`);
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.append(s);
    });
    expect(await page.evaluate(() => (window as unknown as { __inline?: number }).__inline)).toBeUndefined();
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    await page.close();
  });

  it('is usable at phone width: no horizontal scrolling on the sign-in page', async () => {
    const phone = await browser.newContext({ viewport: { width: 375, height: 700 }, isMobile: true });
    const page = await phone.newPage();
    await page.goto(`${hearth.baseUrl}/login`);
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.close();
  });

  /** Renders every payload through the chat renderer as user and assistant bubbles; nothing may run, load from elsewhere or leave its bubble. */
  async function expectRenderedInert(payloads: string[]): Promise<void> {
    const page = await context.newPage();
    const hits: string[] = [];
    await armXssTrap(page, hits);
    const violations = collectCspViolations(page);
    const beacons: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(hearth.baseUrl)) beacons.push(r.url());
    });
    await page.goto(`${hearth.baseUrl}/login`);
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    await page.evaluate(await markdownBundle());
    const report = await page.evaluate((lines) => {
      const render = (window as unknown as { HearthMarkdown: { renderMarkdown(t: string): string } }).HearthMarkdown.renderMarkdown;
      const list = document.createElement('ol');
      list.className = 'messages';
      document.body.append(list);
      for (const line of lines) {
        for (const role of ['user', 'assistant']) {
          const li = document.createElement('li');
          li.className = `bubble ${role}`;
          const inner = document.createElement('div');
          if (role === 'assistant') {
            inner.className = 'md';
            inner.innerHTML = render(line);
          } else {
            inner.className = 'plain';
            inner.textContent = line;
          }
          li.append(inner);
          list.append(li);
        }
      }
      const all = [...list.querySelectorAll('*')];
      return {
        bubbles: list.children.length,
        nonBubbleChildren: [...list.children].filter((c) => !c.classList.contains('bubble')).length,
        escaped: document.querySelectorAll('#escaped').length,
        dangerous: all
          .filter((el) =>
            ['SCRIPT', 'IMG', 'SVG', 'IFRAME', 'OBJECT', 'EMBED', 'STYLE', 'FORM', 'INPUT', 'MATH', 'LINK', 'META', 'BASE'].includes(
              el.tagName.toUpperCase(),
            ),
          )
          .map((el) => el.tagName),
        handlers: all.flatMap((el) =>
          [...el.attributes].filter((a) => /^on/i.test(a.name) || a.name === 'style').map((a) => `${el.tagName}[${a.name}]`),
        ),
        badLinks: [...list.querySelectorAll('a[href]')]
          .map((a) => a.getAttribute('href') ?? '')
          .filter((h) => !/^(https?:|mailto:)/i.test(h)),
      };
    }, payloads);
    // Let any event handler or load that slipped through fire before checking the trap.
    await page.waitForLoadState('networkidle');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(report.bubbles).toBe(payloads.length * 2);
    expect(report.nonBubbleChildren).toBe(0);
    expect(report.escaped).toBe(0);
    expect(report.dangerous).toEqual([]);
    expect(report.handlers).toEqual([]);
    expect(report.badLinks).toEqual([]);
    expect(await page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBeUndefined();
    expect(hits).toEqual([]);
    expect(beacons).toEqual([]);
    // Not even blocked attempts: no handler or style ever reached a document, live or detached.
    expect(violations).toEqual([]);
    await page.close();
  }

  describe('over the public XSS corpora', needsCorpus('xss'), () => {
    it('LLM-3: every XSS corpus line rendered by the chat renderer runs nothing and stays in its bubble', async () => {
      const payloads = xssPayloads();
      expect(payloads.length).toBeGreaterThan(80);
      await expectRenderedInert(payloads);
    });
  });

  it('LLM-3: generated XSS payloads (event handlers, script URLs, mutation XSS, dangerous links, beacons, breakouts) rendered by the chat renderer run nothing and stay in their bubbles', async () => {
    const payloads = generatedXssPayloads(300);
    expect(payloads.length).toBeGreaterThan(80);
    await expectRenderedInert(payloads);
  });

  it('LLM-3 control: the trap does fire when unsanitized HTML is inserted, so the test can fail', async () => {
    const page = await browser.newPage();
    const hits: string[] = [];
    await armXssTrap(page, hits);
    await page.goto('about:blank');
    await page.setContent('<div id="x"></div>');
    await page.evaluate(() => {
      document.getElementById('x')!.innerHTML = '<img src="data:," onerror="window.__xss=1;alert(1)">';
    });
    await expect.poll(() => page.evaluate(() => (window as unknown as { __xss?: unknown }).__xss)).toBe(1);
    await expect.poll(() => hits.length).toBeGreaterThan(0);
    await page.close();
  });

  it('saves a screenshot of the sign-in page into docs/', async () => {
    const page = await context.newPage();
    await page.goto(`${hearth.baseUrl}/login`);
    await page.getByRole('heading', { name: /sign in/i }).waitFor();
    mkdirSync(DOCS, { recursive: true });
    await page.screenshot({ path: join(DOCS, 'web-login.png') });
    await page.close();
  });
});
