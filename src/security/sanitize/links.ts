/**
 * Reply link sanitizing (LLM-3): no link whose destination is not http, https, mailto or relative
 * survives in any channel. What is a link is decided as a CommonMark parser decides it (markdown-it,
 * `markdown-links.ts`), so backslash escapes (`javascript\:`), entities, `<…>` destinations and
 * reference definitions are seen exactly as the receiving renderer will see them; then lenient
 * renderers' forms and bare schemes are defanged as text. Sees through entity/percent encoding and
 * whitespace tricks (`java\tscript:`, `&#106;avascript:`, `%6aavascript:`).
 */
import { createLinkFinder, type FoundLink } from './markdown-links.js';

const DANGEROUS_SCHEMES = ['javascript', 'vbscript', 'data', 'livescript', 'mocha'];

/** Decodes the encodings browsers undo before they look at a URL's scheme. */
function decodeForScheme(value: string): string {
  let out = value;
  for (let i = 0; i < 3; i++) {
    const before = out;
    out = out
      .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => safeChar(parseInt(h, 16)))
      .replace(/&#(\d+);?/g, (_, d: string) => safeChar(parseInt(d, 10)))
      .replace(/&(tab|newline|colon);/gi, (_, n: string) => ({ tab: '\t', newline: '\n', colon: ':' })[n.toLowerCase()] ?? '')
      .replace(/%([0-9a-f]{2})/gi, (_, h: string) => safeChar(parseInt(h, 16)));
    if (out === before) break;
  }
  return out;
}

function safeChar(code: number): string {
  return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : '';
}

/** True when a URL (as written) would run code or smuggle content when opened. */
function isDangerousUrl(url: string): boolean {
  // Browsers drop ASCII whitespace and control characters inside the scheme.
  const squeezed = decodeForScheme(url)
    .replace(/[\u0000-\u0020\u007f-\u009f\u200b-\u200f\u2028\u2029\ufeff]/g, '')
    .toLowerCase();
  return DANGEROUS_SCHEMES.some((s) => squeezed.startsWith(`${s}:`));
}

/** True for links the web may render: http, https, mailto, or relative/anchor links. */
export function isAllowedLinkUrl(url: string): boolean {
  if (isDangerousUrl(url)) return false;
  const squeezed = decodeForScheme(url).trim().toLowerCase();
  const scheme = /^([a-z][a-z0-9+.-]*):/.exec(squeezed);
  if (!scheme) return true;
  return ['http', 'https', 'mailto'].includes(scheme[1] ?? '');
}

// A scheme written with optional whitespace, control characters, entities or markdown backslashes between its letters.
const GAP = String.raw`(?:\s|\\|&#x?[0-9a-f]+;?|&tab;|&newline;|%[0-9a-f]{2}|[\u0000-\u001f\u200b-\u200f\ufeff])*`;
function schemePattern(scheme: string): string {
  return scheme
    .split('')
    .map((c) => `(?:${c}|&#x?0*${c.charCodeAt(0).toString(16)};?|&#0*${c.charCodeAt(0)};?|%${c.charCodeAt(0).toString(16)})`)
    .join(GAP);
}
const SCHEME_RE = new RegExp(`(${DANGEROUS_SCHEMES.map(schemePattern).join('|')})${GAP}(?::|&colon;|&#x?0*3a;?|&#0*58;?|%3a)`, 'gi');

// The parser (loaded on the first reply, not at start) holds no state between calls.
const findLinks = createLinkFinder();
const MAX_ROUNDS = 8;
const LINK_START = /[[<]/;

function replacementFor(link: FoundLink): string {
  switch (link.kind) {
    case 'link':
      return link.label;
    case 'image':
      return link.label || '[image removed]';
    case 'autolink':
      return '[link removed]';
    case 'definition':
      // An escaped bracket makes the line plain text; its scheme is defanged below.
      return `\\${link.source}`;
  }
}

/** Last resort: no unescaped bracket or angle bracket is left, so no parser can form a link. */
function escapeLinkSyntax(text: string): string {
  let out = '';
  let backslashes = 0;
  for (const c of text) {
    if ('[]<>'.includes(c) && backslashes % 2 === 0) out += '\\';
    backslashes = c === '\\' ? backslashes + 1 : 0;
    out += c;
  }
  return out;
}

/**
 * Where a parsed link's inline source sits in the text: verbatim, or with the quote markers and
 * indentation the block parser stripped from its continuation lines.
 */
function locate(text: string, source: string): { index: number; length: number } | undefined {
  if (source === '') return undefined;
  const at = text.indexOf(source);
  if (at >= 0) return { index: at, length: source.length };
  if (!source.includes('\n')) return undefined;
  const pattern = source
    .split('\n')
    .map((line) => line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('\\n[ \\t>]*');
  const m = new RegExp(pattern).exec(text);
  return m ? { index: m.index, length: m[0].length } : undefined;
}

/** Replaces each link a CommonMark parser would make to a disallowed destination, until none is left. */
function neutralizeParsedLinks(text: string): string {
  let out = text;
  for (let round = 0; ; round++) {
    // Every link CommonMark makes starts at a literal `[` (links, images, definitions) or `<`
    // (autolinks); an entity or escape never forms syntax. Without either, there is nothing to parse.
    if (!LINK_START.test(out)) return out;
    const unsafe = findLinks(out).filter((link) => !isAllowedLinkUrl(link.href));
    if (unsafe.length === 0) return out;
    let changed = false;
    if (round < MAX_ROUNDS)
      for (const link of unsafe) {
        const at = locate(out, link.source);
        if (!at) continue;
        out = out.slice(0, at.index) + replacementFor(link) + out.slice(at.index + at.length);
        changed = true;
      }
    if (!changed) return escapeLinkSyntax(out);
  }
}

/**
 * Removes every disallowed link from reply text: links and images keep their label, autolinks and
 * bare occurrences lose their scheme, reference definitions become plain text. Idempotent.
 */
export function stripUnsafeLinks(text: string): string {
  let out = neutralizeParsedLinks(text);
  // Forms lenient (non-CommonMark) renderers still read as links, e.g. a space inside the destination.
  out = out.replace(
    /(!?)\[([^\]\n]{0,2000})\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)>?(?:\s+"[^"\n]*")?\s*\)/g,
    (whole, bang: string, label: string, url: string) => {
      if (isAllowedLinkUrl(url)) return whole;
      return bang ? label || '[image removed]' : label;
    },
  );
  out = out.replace(/<([a-z][a-z0-9+.-]*:[^>\s]*)>/gi, (whole, url: string) => (isDangerousUrl(url) ? '[link removed]' : whole));
  // Bare or HTML-attribute occurrences: defang the scheme itself so nothing can turn it into a link.
  for (let i = 0; i < 3; i++) {
    const next = out.replace(SCHEME_RE, '[blocked-link]:');
    if (next === out) break;
    out = next;
  }
  return out;
}
