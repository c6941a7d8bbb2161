import { HtmlRenderer, Parser, type Node } from 'commonmark';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stripUnsafeLinks } from '../../src/security/sanitize/index.js';
import { dangerousUrl } from './xss-forms.js';

/**
 * The receiving side, as a channel client would render a reply: commonmark.js (the reference
 * CommonMark implementation, not the parser Hearth uses). Every link and image it makes must point
 * at http, https, mailto or a relative target; no raw HTML it passes through may carry a scheme.
 */
function linksAsRendered(markdown: string): string[] {
  const walker = new Parser().parse(markdown).walker();
  const out: string[] = [];
  for (let e = walker.next(); e; e = walker.next()) {
    const node: Node = e.node;
    if (e.entering && (node.type === 'link' || node.type === 'image')) out.push(node.destination ?? '');
  }
  return out;
}

/** The scheme a browser reads from a destination commonmark.js produced (it percent-encodes). */
function schemeOf(destination: string): string | undefined {
  let d = destination;
  try {
    d = decodeURIComponent(destination);
  } catch {
    // as written
  }
  const squeezed = d.replace(/[\u0000-\u0020\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/g, '').toLowerCase();
  return /^([a-z][a-z0-9+.-]*):/.exec(squeezed)?.[1];
}

function expectSafeWhenRendered(input: string): void {
  const out = stripUnsafeLinks(input);
  for (const destination of linksAsRendered(out)) {
    const scheme = schemeOf(destination);
    expect(
      scheme === undefined || ['http', 'https', 'mailto'].includes(scheme),
      `${JSON.stringify(input)} → ${JSON.stringify(out)} → ${destination}`,
    ).toBe(true);
  }
  const html = new HtmlRenderer({ safe: false }).render(new Parser().parse(out)).toLowerCase();
  expect(html, `${JSON.stringify(input)} → ${JSON.stringify(out)}`).not.toMatch(/(?:java\s*script|vbscript|livescript|data)\s*:/);
}

describe('#15 replies sent to channels: the link filter decides what a link is as a CommonMark parser does (LLM-3)', () => {
  it('backslash escapes, <…> destinations, entity-encoded schemes and reference definitions no longer pass', () => {
    for (const input of [
      '[x](javascript\\:alert(1))',
      '[x](data\\:text/html,<script>alert(1)</script>)',
      '[x](vbscript\\:msgbox(1))',
      '[x](<javascript:alert(1)>)',
      '[x](<javascript\\:alert(1)> "t")',
      '[x](&#106;avascript:alert(1))',
      '[x](&#x6A;avascript&colon;alert(1))',
      '[x](jav&#x61;script:alert(1))',
      '![i](javascript\\:alert(1))',
      '[x][r]\n\n[r]: javascript\\:alert(1)',
      '[r]\n\n[r]: <javascript:alert(1)> "title"',
      '[x][]\n\n[x]: vbscript\\:msgbox',
      '> quoted [x](javascript\\:alert(1))',
      '- item [a\n  b](javascript\\:alert(1))',
      '> [a\n> b](javascript:alert(1))',
      '[outer ![in](javascript\\:1)](https://ok.example)',
    ]) {
      // Today's main passes these unchanged: commonmark.js makes a javascript:/data:/vbscript: link of each.
      expect(
        linksAsRendered(input).some((d) => ['javascript', 'data', 'vbscript'].includes(schemeOf(d) ?? '')),
        input,
      ).toBe(true);
      expectSafeWhenRendered(input);
    }
  });

  it('keeps safe links, images and their text as they were', () => {
    for (const input of [
      'see [docs](https://example.com/a?b=c) and `[x](/a)` in code',
      '![cat](https://img.example/cat.png "a cat")',
      '[mail](mailto:ada@example.com) and [rel](/api/docs) and <https://example.com>',
      '[ref][r]\n\n[r]: https://example.com',
    ])
      expect(stripUnsafeLinks(input)).toBe(input);
    expect(stripUnsafeLinks('[click here](javascript\\:alert(1)) please')).toBe('click here please');
  });

  it('no generated link, in any markdown form, renders to a disallowed destination (property, commonmark.js on the receiving side)', () => {
    const escaped = (u: string) => u.replace(/[:/()]/g, (c) => (c === ':' ? '\\:' : c));
    const url = fc
      .tuple(
        dangerousUrl.filter((u) => !/[\n\r]/.test(u)),
        fc.boolean(),
      )
      .map(([u, esc]) => (esc ? escaped(u) : u));
    const form = fc.constantFrom(
      (u: string, l: string) => `[${l}](${u})`,
      (u: string, l: string) => `![${l}](${u})`,
      (u: string, l: string) => `[${l}](<${u}>)`,
      (u: string, l: string) => `[${l}](<${u}> "t")`,
      (u: string) => `<${u}>`,
      (u: string, l: string) => `[${l}][ref]\n\n[ref]: ${u}`,
      (u: string, l: string) => `[${l}]\n\n[${l}]: <${u}>`,
      (u: string, l: string) => `> [${l}](${u})`,
      (u: string, l: string) => `1. [${l}](${u})`,
    );
    const label = fc.constantFrom('x', 'click me', 'a\\]b', '**b**', '`c`');
    const noise = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(form, url, label, noise, noise, (f, u, l, before, after) => {
        expectSafeWhenRendered(`${before}${f(u, l)}${after}`);
      }),
      { numRuns: 3000 },
    );
  });

  it('any text at all: what commonmark.js renders from the output holds no disallowed link (property)', () => {
    const md = fc.stringMatching(/^[[\]()<>!:\\a-z &#;x0-9\n"'*`>-]{0,60}$/).map((s) => s.replace(/js/g, 'javascript'));
    fc.assert(
      fc.property(md, (s) => {
        expectSafeWhenRendered(s);
        expect(stripUnsafeLinks(stripUnsafeLinks(s))).toBe(stripUnsafeLinks(s));
      }),
      { numRuns: 3000 },
    );
  });
});
