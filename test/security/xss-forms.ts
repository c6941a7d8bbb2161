import fc from 'fast-check';

/**
 * A grammar of dangerous-scheme links (LLM-3), so link sanitizing is tested without the shared
 * XSS corpora: javascript:, vbscript:, livescript: and data: URLs whose scheme is written with
 * mixed case, HTML entities (decimal, hex, zero-padded, decimal without ';'), percent-encoding and the
 * whitespace, control and invisible characters browsers drop, inside every place a link can
 * live (markdown links and images, autolinks, HTML attributes, bare text).
 */

const DANGEROUS_SCHEMES = ['javascript', 'vbscript', 'livescript', 'data'] as const;

/** One letter of a scheme, as a browser would still read it. */
const letter = (c: string): fc.Arbitrary<string> => {
  const code = c.charCodeAt(0);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(c.toLowerCase(), c.toUpperCase()) },
    fc.constantFrom(
      `&#${code};`,
      `&#${code}`,
      `&#00${code};`,
      `&#x${code.toString(16)};`,
      `&#X${code.toString(16).toUpperCase()};`,
      `&#x00${code.toString(16)};`,
      `%${code.toString(16)}`,
    ),
  );
};

/** What browsers skip between the letters of a scheme. */
const gap = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  fc.constantFrom(
    '\t',
    '\n',
    '\r',
    '&#9;',
    '&#x09;',
    '&#10;',
    '&#13;',
    '&Tab;',
    '&NewLine;',
    '%09',
    '%0a',
    '\u0000',
    '\u0001',
    '\u200b',
    '\ufeff',
  ),
);

// (A hex entity without ';' would swallow the next hex letter, as it does in browsers; decimal ones may drop it.)
const colon = fc.constantFrom(':', ':', ':', '&colon;', '&#58;', '&#58', '&#x3a;', '&#X3A;', '&#0058;', '%3a', '%3A');

/** A dangerous scheme, obfuscated, followed by its colon. */
const obfuscatedScheme: fc.Arbitrary<string> = fc
  .constantFrom(...DANGEROUS_SCHEMES)
  .chain((scheme) => fc.tuple(...scheme.split('').map((c) => fc.tuple(letter(c), gap).map(([l, g]) => l + g)), colon))
  .map((parts) => parts.join(''));

const body = fc.constantFrom(
  'alert(1)',
  'alert(document.cookie)',
  'window.__xss=1',
  'msgbox(1)',
  'text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
  'text/html,<script>alert(1)</script>',
  'fetch(`//x`)',
  '',
);

/** A dangerous URL: optional leading whitespace/control characters, an obfuscated scheme and a payload. */
export const dangerousUrl: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom('', '', ' ', '\t', '\u0001', '&#32;', '%20'), obfuscatedScheme, body)
  .map(([lead, scheme, payload]) => `${lead}${scheme}${payload}`);

const label = fc.constantFrom('click', 'docs', 'a', 'x y', '', 'see here');
const around = fc.constantFrom('', 'Hello ', 'See: ', '> ', '- ', '1. ', '| a | ', '**bold** ');

/** A dangerous link somewhere in reply text. */
export const dangerousLink: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(
      (u: string, l: string) => `[${l}](${u})`,
      (u: string, l: string) => `![${l}](${u})`,
      (u: string, l: string) => `[${l}](<${u}>)`,
      (u: string, l: string) => `[${l}](${u} "title")`,
      (u: string) => `<${u}>`,
      (u: string, l: string) => `<a href="${u}">${l}</a>`,
      (u: string, l: string) => `<a href='${u}'>${l}</a>`,
      (u: string, l: string) => `<a href=${u}>${l}</a>`,
      (u: string) => `<img src="${u}">`,
      (u: string) => `<iframe src=${u}></iframe>`,
      (u: string) => `<form action="${u}"><button>go</button></form>`,
      (u: string) => `<object data="${u}"></object>`,
      (u: string, l: string) => `[${l}]: ${u}`,
      (u: string) => u,
    ),
    dangerousUrl.filter((u) => !/[\n\r]/.test(u)),
    label,
    around,
    around,
  )
  .map(([form, url, l, before, after]) => `${before}${form(url, l)}${after}`);
