/**
 * Normalization for the injection screen (LLM-2): attackers hide instructions behind Unicode
 * tricks and encodings, so the screen looks at the text the model would effectively read.
 */

// Zero-width, bidi controls, soft hyphen, variation selectors, tag characters.
const INVISIBLE =
  /\u00ad|\u034f|\u061c|\u115f|\u1160|\u17b4|\u17b5|[\u180b-\u180f]|[\u200b-\u200f]|[\u202a-\u202e]|[\u2060-\u206f]|\u3164|[\ufe00-\ufe0f]|\ufeff|\uffa0|[\u{e0000}-\u{e007f}]/gu;

// Cyrillic, Greek and other letters that look like Latin ones.
const HOMOGLYPHS: Record<string, string> = {
  а: 'a',
  в: 'b',
  е: 'e',
  ё: 'e',
  к: 'k',
  м: 'm',
  н: 'h',
  о: 'o',
  р: 'p',
  с: 'c',
  т: 't',
  у: 'y',
  х: 'x',
  ѕ: 's',
  і: 'i',
  ј: 'j',
  ԁ: 'd',
  ԛ: 'q',
  ԝ: 'w',
  ӏ: 'l',
  ɡ: 'g',
  ɩ: 'i',
  ı: 'i',
  α: 'a',
  β: 'b',
  γ: 'y',
  ε: 'e',
  η: 'n',
  ι: 'i',
  κ: 'k',
  ν: 'v',
  ο: 'o',
  ρ: 'p',
  τ: 't',
  υ: 'u',
  χ: 'x',
  ω: 'w',
  ς: 'c',
  '0': '0',
  '@': '@',
  $: '$',
  ℓ: 'l',
  '∕': '/',
  '‐': '-',
  '–': '-',
  '—': '-',
  '‘': "'",
  '’': "'",
  '“': '"',
  '”': '"',
};
const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };

/** NFKC, invisibles removed, homoglyphs folded, lower-cased, whitespace collapsed. */
export function foldText(text: string): string {
  let out = text.normalize('NFKC').replace(INVISIBLE, '');
  out = out
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .normalize('NFC');
  out = Array.from(out.toLowerCase(), (c) => HOMOGLYPHS[c] ?? c).join('');
  return out.replace(/\s+/g, ' ').trim();
}

/** Leetspeak and letter-spacing undone ("1gn0re", "i g n o r e"): a second view for matching. */
export function deobfuscate(folded: string): string {
  let out = folded.replace(/\b([a-z0-9@$!])(?:[ ._*-]([a-z0-9@$!]))(?:[ ._*-][a-z0-9@$!]){2,}\b/g, (m) => m.replace(/[ ._*-]/g, ''));
  out = out.replace(/[a-z]*[013457@$!][a-z0-9@$!]*/g, (w) => (/[a-z]/.test(w) ? Array.from(w, (c) => LEET[c] ?? c).join('') : w));
  return out;
}

const MORSE: Record<string, string> = Object.fromEntries(
  'a.- b-... c-.-. d-.. e. f..-. g--. h.... i.. j.--- k-.- l.-.. m-- n-. o--- p.--. q--.- r.-. s... t- u..- v...- w.-- x-..- y-.-- z--.. 0----- 1.---- 2..--- 3...-- 4....- 5..... 6-.... 7--... 8---.. 9----.'
    .split(' ')
    .map((e) => [e.slice(1), e[0] ?? '']),
);

function rot13(s: string): string {
  return s.replace(/[a-z]/gi, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

function printable(s: string): boolean {
  if (s.length < 8) return false;
  let good = 0;
  for (const c of s) if (/[\p{L}\p{N}\p{P}\s]/u.test(c)) good++;
  return good / s.length > 0.9;
}

/**
 * Payloads hidden in base64, hex, rot13 or URL encoding, decoded where they appear. Returns
 * the decoded texts (only those that decode to readable text).
 */
export function decodePayloads(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{16,}={0,2}/g)) {
    const raw = m[0];
    if (!/[0-9+/=]|[A-Z].*[a-z]|[a-z].*[A-Z]/.test(raw)) continue;
    const decoded = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8');
    if (printable(decoded)) found.push(decoded);
  }
  for (const m of text.matchAll(/(?:(?:0x|\\x)?[0-9a-f]{2}[\s,:]?){8,}/gi)) {
    const hex = m[0].replace(/0x|\\x|[\s,:]/gi, '');
    if (hex.length % 2 !== 0) continue;
    const decoded = Buffer.from(hex, 'hex').toString('utf8');
    if (printable(decoded)) found.push(decoded);
  }
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      const decoded = decodeURIComponent(text.replace(/\+/g, ' '));
      if (decoded !== text) found.push(decoded);
    } catch {
      // not valid URL encoding
    }
  }
  // Morse code.
  if (/^[\s./|-]{20,}$/.test(text.trim()) || /(?:[.-]{1,6}\s+){8,}/.test(text)) {
    const words = text
      .trim()
      .split(/\s{2,}|\s*\/\s*/)
      .map((w) =>
        w
          .split(/\s+/)
          .map((c) => MORSE[c] ?? '')
          .join(''),
      );
    const decoded = words.join(' ');
    if (decoded.replace(/\s/g, '').length >= 6) found.push(decoded);
  }
  // rot13: decode every word run; the signals decide whether the result means anything.
  if (/rot-?13|caesar|\b(?:vtaber|cerivbhf|vafgehpgvbaf|flfgrz|cebzcg)\b/i.test(text)) found.push(rot13(text));
  return found;
}
