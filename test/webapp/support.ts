/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { chromium, type Browser, type Page } from 'playwright-core';
import { corpus } from '../support/corpora.js';
import { startTestHearth, type TestHearth, type TestHearthOptions } from '../support/hearth.js';
import { dangerousLink } from '../security/xss-forms.js';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const WEB = join(ROOT, 'web');
export const DIST = join(WEB, 'dist');
export const DOCS = join(ROOT, 'docs');
/** The shared XSS corpora (../shared/data/xss), or undefined when absent: suites using xssPayloads() declare needsCorpus('xss'). */
export const XSS_DIR = corpus('xss');

export { ensureWebBuild } from '../../scripts/web-build.js';

/** Debian's Chromium, headless, with nothing phoning home (plus `extraArgs`). */
export async function launchBrowser(extraArgs: readonly string[] = []): Promise<Browser> {
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
      ...extraArgs,
    ],
  });
}

/** Chromium whose microphone is a WAV file (the fake device, no permission prompt shown but the request still made), playing audio without a gesture. */
export function launchWithMicrophone(wav: string): Promise<Browser> {
  return launchBrowser([
    '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream',
    `--use-file-for-fake-audio-capture=${wav}`,
    '--autoplay-policy=no-user-gesture-required',
  ]);
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
  const dir = XSS_DIR;
  if (dir === undefined) throw new Error("the XSS corpora are absent: declare needsCorpus('xss') on the suite");
  const lines = readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n'))
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.trim() !== '');
  return [...lines, ...TRAP_PAYLOADS];
}

const TRAP_PAYLOADS = [
  '<img src=x onerror="window.__xss=1">',
  '<svg onload="window.__xss=1"></svg>',
  '[click](javascript:window.__xss=1)',
  '[data](data:text/html,<script>window.__xss=1</script>)',
  '![beacon](http://127.0.0.1:9/track.png)',
  '</div></li></ol><div id="escaped">outside</div>',
  '<style>body{display:none}</style><p style="position:fixed;inset:0">cover</p>',
];

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** Script a payload runs when it works: sets the trap or opens a dialog (both are watched by armXssTrap). */
const action = pick(
  'window.__xss=1',
  'alert(1)',
  'confirm(1)',
  'prompt(1)',
  "top['al'+'ert'](1)",
  'window.__xss=document.cookie',
  'eval(atob(`d2luZG93Ll9feHNzPTE=`))',
);

/** Case mixing of tag and attribute names, as HTML parsers ignore it. */
const cased = (word: string) => fc.boolean().map((upper) => (upper ? word.toUpperCase() : word));

/** Between a tag name and its attributes: space, slash, newline or tab. */
const sep = pick(' ', ' ', '/', '\n', '\t', ' /');

/** javascript:/data: URLs as they would be written into an HTML attribute. */
const dangerousUrlForHtml = pick(
  'javascript:',
  'JaVaScRiPt:',
  'java\tscript:',
  '&#106;avascript:',
  '&#x6A;avascript&#x3A;',
  ' javascript:',
  'data:text/html,<script>',
  'vbscript:',
);

/** An element that runs script through an event handler or a URL attribute. */
const element: fc.Arbitrary<string> = fc.oneof(
  fc
    .tuple(
      pick(
        'img src=x',
        'image src=x',
        'video src=x',
        'audio src=x',
        'svg',
        'body',
        'iframe',
        'object data=x',
        'input autofocus',
        'details open',
        'select autofocus',
        'marquee',
        'textarea autofocus',
        'div tabindex=1 autofocus',
        'a href=#',
      ),
      pick('onerror', 'onload', 'onfocus', 'ontoggle', 'onstart', 'onmouseover', 'onclick', 'onanimationstart', 'onpageshow', 'onbegin'),
      action,
      sep,
      pick('"', "'", '', '`'),
    )
    .chain(([tag, handler, run, s, q]) =>
      fc.tuple(cased(tag.split(' ')[0]!), cased(handler)).map(([name, h]) => `<${name}${tag.slice(name.length)}${s}${h}=${q}${run}${q}>`),
    ),
  fc.tuple(cased('script'), action).map(([t, run]) => `<${t}>${run}</${t}>`),
  fc
    .tuple(pick('<script src=data:,', '<script src="data:text/javascript,'), action)
    .map(([open, run]) => `${open}${run}${open.endsWith('"') ? '"' : ''}></script>`),
  fc
    .tuple(
      pick(
        'a href',
        'iframe src',
        'form action',
        'object data',
        'embed src',
        'base href',
        'link rel=stylesheet href',
        'meta http-equiv=refresh content="0;url',
        'math href',
        'button formaction',
      ),
      dangerousUrlForHtml,
      action,
    )
    .map(([attr, url, run]) => {
      const [tag] = attr.split(' ');
      const value = attr.endsWith('url') ? `${attr}=${url}${run}"` : `${attr}="${url}${run}"`;
      return `<${value}>x</${tag}>`;
    }),
  pick(
    '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>',
    '<svg><style><img src=x onerror=window.__xss=1></style></svg>',
    '<noscript><p title="</noscript><img src=x onerror=window.__xss=1>">',
    '<!--><img src=x onerror=window.__xss=1>-->',
    '<![CDATA[><img src=x onerror=window.__xss=1>]]>',
    '<svg><animate onbegin=window.__xss=1 attributeName=x dur=1s>',
    '<form><button formaction=javascript:window.__xss=1>go</button></form>',
    '<template><img src=x onerror=window.__xss=1></template>',
  ),
);

/** Markdown and layout payloads: dangerous links and images, remote images (beacons), breakouts from the bubble. */
const markdown: fc.Arbitrary<string> = fc.oneof(
  dangerousLink,
  fc
    .tuple(pick('http://127.0.0.1:9/', 'https://tracker.example/', '//evil.example/'), pick('p.png', 'i.gif?u=1'))
    .map(([host, file]) => `![beacon](${host}${file})`),
  pick(
    '</div></li></ol><div id="escaped">outside</div>',
    '</li><li class="bubble"><div id="escaped">x</div>',
    '<style>body{display:none}</style>',
    '<p style="position:fixed;inset:0">cover</p>',
    '<link rel=stylesheet href=//evil.example/x.css>',
  ),
);

/** Where in a message a payload sits. */
const placement = pick(
  (p: string) => p,
  (p: string) => `Hello ${p} there`,
  (p: string) => `- ${p}`,
  (p: string) => `> ${p}`,
  (p: string) => `**${p}**`,
  (p: string) => `| a | ${p} |\n| - | - |`,
  (p: string) => `1. ${p}\n2. next`,
  (p: string) => `\`${p}\``,
);

/**
 * XSS payloads without the corpora (LLM-3): elements with event handlers or script URLs (mixed
 * case, odd separators and quotes), mutation-XSS and parser-confusion snippets, dangerous
 * markdown links, tracking images and breakouts, each placed in ordinary markdown; plus the
 * trap payloads. Deterministic (a fixed seed) so a failure names the same payload every run.
 */
export function generatedXssPayloads(count: number, seed = 17): string[] {
  const generated = fc.sample(
    fc.tuple(fc.oneof({ weight: 3, arbitrary: element }, { weight: 2, arbitrary: markdown }), placement).map(([p, place]) => place(p)),
    { numRuns: count, seed },
  );
  return [...new Set([...generated, ...TRAP_PAYLOADS])];
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

/** Signs in through the sign-in page (already open, or at `path`). */
export async function signInThroughPage(page: Page, name: string, password: string): Promise<void> {
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Log out' }).waitFor();
}

/** Calls the API with the page's own session (its CSRF token from the session answer). */
export async function apiAsPage<T = unknown>(page: Page, method: string, path: string, body?: unknown): Promise<T> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const { csrfToken } = (await (await fetch('/api/auth/session')).json()) as { csrfToken: string };
      const r = await fetch(path, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (r.status === 204 ? null : await r.json()) as never;
    },
    { method, path, body },
  ) as Promise<T>;
}

/** A provider on the fake model and a familiar `Ember` on it, created with the page's session. */
export async function seedFamiliar(
  page: Page,
  fakeUrl: string,
  extra: Record<string, unknown> = {},
): Promise<{ providerId: string; familiarId: string }> {
  const provider = await apiAsPage<{ id: string }>(page, 'POST', '/api/providers', {
    name: 'Fake',
    baseUrl: fakeUrl,
    defaultModel: 'fake-model',
  });
  const familiar = await apiAsPage<{ id: string }>(page, 'POST', '/api/familiars', {
    slug: 'ember',
    name: 'Ember',
    persona: 'A companion.',
    model: 'fake-model',
    providerId: provider.id,
    ...extra,
  });
  return { providerId: provider.id, familiarId: familiar.id };
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Runs axe-core in the page (through DevTools, as the CSP refuses inline script) and returns the
 * serious and critical violations, each as `rule: target…`.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            ctx: Document,
            o: unknown,
          ): Promise<{ violations: Array<{ id: string; impact: string; nodes: Array<{ target: string[]; failureSummary?: string }> }> }>;
        };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => `${n.target.join(' ')} (${n.failureSummary ?? ''})`).join(' | ')}`);
  });
}

/** How far the page scrolls sideways (0 when it does not). */
export function sidewaysScroll(page: Page): Promise<number> {
  return page.evaluate(
    () => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth) - document.documentElement.clientWidth,
  );
}

/** The elements that reach past the right edge of the window (what makes a page scroll sideways). */
export function overflowingElements(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    return [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > width + 1)
      .slice(0, 8)
      .map(
        (el) =>
          `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}.${[...el.classList].join('.')} right=${Math.round(el.getBoundingClientRect().right)}`,
      );
  });
}
