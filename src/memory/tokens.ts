import { createHash } from 'node:crypto';

/** Consonants only: a vowel-free prefix leaves the Porter/Snowball measure of the word unchanged. */
const ALPHABET = 'bcdfghjklmnpqrstvwxz';

const STOPWORDS = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by can could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in into is it its itself just let me more most my myself no nor not now of off on once only or other our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours yourself yourselves ' +
    'll ve re s t d m don doesn didn isn wasn aren weren won hey hi oh yeah yes ok okay really also gonna got get'
  ).split(/\s+/),
);

/**
 * A person's index scope: 12 consonants derived from the user id. Every indexed token is
 * prefixed with it, so a search touches only that person's postings (performance) and can never
 * match another person's words (isolation; results are also filtered by user_id in SQL).
 */
function scopePrefix(userId: string): string {
  const digest = createHash('sha256').update(`hearth-memory-scope\0${userId}`).digest();
  let out = '';
  for (let i = 0; i < 12; i++) out += ALPHABET[digest[i]! % ALPHABET.length];
  return `${out}q`;
}

/** Lower-cased words (letters and digits), without stop words; the same on both databases. */
function words(text: string): string[] {
  const out: string[] = [];
  for (const raw of text
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)) {
    if (raw.length === 0 || raw.length > 40 || STOPWORDS.has(raw)) continue;
    out.push(raw);
  }
  return out;
}

/** The body stored in the lexical index: every word prefixed with the person's scope. */
export function indexBody(userId: string, text: string): string {
  const p = scopePrefix(userId);
  return words(text)
    .map((w) => p + w)
    .join(' ');
}

/** Distinct scoped query terms (at most 64), ready to OR together; never contains syntax characters. */
export function queryTerms(userId: string, text: string): string[] {
  const p = scopePrefix(userId);
  return [...new Set(words(text))].slice(0, 64).map((w) => p + w);
}
