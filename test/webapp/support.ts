/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestHearth, type TestHearth, type TestHearthOptions } from '../support/hearth.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const WEB = join(ROOT, 'web');
export const DIST = join(WEB, 'dist');
export const DOCS = join(ROOT, 'docs');
export const XSS_DIR = resolve(ROOT, '../shared/data/xss');

export { ensureWebBuild } from '../../scripts/web-build.js';

/** Debian's Chromium, headless, with nothing phoning home. */
export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export interface WebHearth extends TestHearth {
  readonly baseUrl: string;
}

/** A whole Hearth listening on loopback (port 0), serving the built web app. */
export async function startWebHearth(options: TestHearthOptions = {}): Promise<WebHearth> {
  const t = await startTestHearth({ ...options, env: { HEARTH_SERVE_WEB: 'true', ...options.env } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  const address = t.app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  return { ...t, baseUrl: `http://127.0.0.1:${address.port}` };
}

/** Every line of the shared XSS corpora, plus payloads that spring the `window.__xss` trap directly. */
export function xssPayloads(): string[] {
  const lines = readdirSync(XSS_DIR)
    .filter((f) => f.endsWith('.txt'))
    .flatMap((f) => readFileSync(join(XSS_DIR, f), 'utf8').split('\n'))
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return [
    ...lines,
    '<img src=x onerror="window.__xss=1">',
    '<svg onload="window.__xss=1"></svg>',
    '[click](javascript:window.__xss=1)',
    '[data](data:text/html,<script>window.__xss=1</script>)',
    '![beacon](http://127.0.0.1:9/track.png)',
    '</div></li></ol><div id="escaped">outside</div>',
    '<style>body{display:none}</style><p style="position:fixed;inset:0">cover</p>',
  ];
}

/**
 * Arms the trap before any page script runs: `window.__xss` must stay undefined and no dialog
 * (alert/confirm/prompt) may open. Init scripts run via DevTools, outside the page's CSP.
 */
export async function armXssTrap(page: Page, hits: string[]): Promise<void> {
  page.on('dialog', (d) => {
    hits.push(`dialog:${d.type()}:${d.message()}`);
    void d.dismiss();
  });
  await page.addInitScript(() => {
    (window as unknown as { __xss?: unknown }).__xss = undefined;
  });
}

/** CSP violations reported by the page (the console says "Refused to …"). */
export function collectCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text()))
      violations.push(`${m.text()} @ ${m.location().url}:${m.location().lineNumber}`);
  });
  return violations;
}
