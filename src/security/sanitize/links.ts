/**
 * Reply link sanitizing (LLM-3): no javascript:, data: or vbscript: link survives in any
 * channel. Works on plain text and markdown alike, and sees through entity/percent encoding
 * and whitespace tricks (`java\tscript:`, `&#106;avascript:`, `%6aavascript:`).
 */

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

// A scheme written with optional whitespace, control characters or entities between its letters.
const GAP = String.raw`(?:\s|&#x?[0-9a-f]+;?|&tab;|&newline;|%[0-9a-f]{2}|[\u0000-\u001f\u200b-\u200f\ufeff])*`;
function schemePattern(scheme: string): string {
  return scheme
    .split('')
    .map((c) => `(?:${c}|&#x?0*${c.charCodeAt(0).toString(16)};?|&#0*${c.charCodeAt(0)};?|%${c.charCodeAt(0).toString(16)})`)
    .join(GAP);
}
const SCHEME_RE = new RegExp(`(${DANGEROUS_SCHEMES.map(schemePattern).join('|')})${GAP}(?::|&colon;|&#x?0*3a;?|&#0*58;?|%3a)`, 'gi');

/**
 * Removes every dangerous-scheme link from reply text: markdown links and images keep their
 * label, autolinks and bare occurrences lose their scheme. Idempotent.
 */
export function stripUnsafeLinks(text: string): string {
  let out = text.replace(
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
