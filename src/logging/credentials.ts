/**
 * Whether a value is a credential by its shape alone, whatever name carries it (LOG-1, HTTP-4):
 * a known credential format (bearer and basic schemes, Hearth and provider key prefixes, JWTs,
 * bot tokens, URL passwords) or a long random-looking token. Used for URL query values and path
 * segments, header values and the X-Request-ID a caller sends.
 *
 * "Random-looking" is judged per run of token characters, after UUIDs (Hearth's record ids)
 * are set aside: at least 16 letters and digits with both cases and digits, or both cases that
 * switch often (base64, base62), or 32 and more of one case with digits (hex, base36).
 * Words, slugs, dates, most camel-case names and Hearth's message ids stay readable; a random
 * token of 20 bytes or more is caught (the tests generate them), of 16 bytes all but about 1 in
 * 7,000 (measured over 200,000). Mixed-case words with digits (`Summer2024Holiday`) are redacted too.
 */
import { redactString } from './patterns.js';

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const TOKEN_RUN = /[A-Za-z0-9_+/=~-]+/g;
const MIN_MIXED = 16;
const MIN_SINGLE_CASE = 32;
const MIN_SWITCH_RATIO = 0.3;
const MIN_SWITCH_RATIO_LONG = 0.2;

const classOf = (c: number): number => (c >= 65 && c <= 90 ? 0 : c >= 97 && c <= 122 ? 1 : 2);

/** A run of token characters that looks generated rather than written. */
function isRandomRun(run: string): boolean {
  const alnum = run.replace(/[^A-Za-z0-9]/g, '');
  const n = alnum.length;
  if (n < MIN_MIXED) return false;
  let upper = false;
  let lower = false;
  let digit = false;
  let switches = 0;
  for (let i = 0; i < n; i++) {
    const c = classOf(alnum.charCodeAt(i));
    if (c === 0) upper = true;
    else if (c === 1) lower = true;
    else digit = true;
    if (i > 0 && c !== classOf(alnum.charCodeAt(i - 1))) switches++;
  }
  const ratio = switches / (n - 1);
  if (/^[0-9a-f]+$/i.test(alnum)) return n >= MIN_SINGLE_CASE;
  if (!(upper && lower)) return n >= MIN_SINGLE_CASE && digit && ratio >= MIN_SWITCH_RATIO;
  // Both cases and digits is how generated tokens look, hardly ever a word; without digits, a long run still switching case.
  if (digit) return true;
  return ratio >= (n >= 20 ? MIN_SWITCH_RATIO_LONG : MIN_SWITCH_RATIO);
}

/** Undoes percent-encoding (repeatedly, for double encoding); malformed sequences stay as written. */
export function percentDecode(value: string, plusIsSpace = false): string {
  let out = plusIsSpace ? value.replace(/\+/g, ' ') : value;
  for (let i = 0; i < 3 && out.includes('%'); i++) {
    const next = out.replace(/(?:%[0-9A-Fa-f]{2})+/g, (m) => {
      try {
        return decodeURIComponent(m);
      } catch {
        return m;
      }
    });
    if (next === out) break;
    out = next;
  }
  return out;
}

/** True when `value` (already decoded) holds a credential: a known format or a random-looking token. */
export function looksLikeCredential(value: string): boolean {
  if (value.length < 8) return false;
  if (redactString(value) !== value) return true;
  const rest = value.replace(UUID, ' ');
  for (const run of rest.match(TOKEN_RUN) ?? []) if (isRandomRun(run)) return true;
  return false;
}
