import { createRequire } from 'node:module';
import type { ZxcvbnFactory as Factory, ZxcvbnResult } from '@zxcvbn-ts/core';
import type * as CommonLanguage from '@zxcvbn-ts/language-common';

/**
 * zxcvbn score 4: at least 10^10 guesses, "strong protection from an offline slow-hash attack".
 * Score 3 (10^8) still lets `Summer2024!!` and `Admin@123456` through.
 */
const MIN_SCORE = 4;

/** Words every Hearth password is judged against besides the person's name: guessing starts with the product. */
const PRODUCT_WORDS = ['hearth', 'familiar', 'familiars'];

/** What zxcvbn's warning keys mean, said to the person (its own texts ship only in language packages). */
const WARNINGS: Record<string, string> = {
  straightRow: 'it is a row of keys on the keyboard',
  keyPattern: 'it is a short keyboard pattern',
  simpleRepeat: 'it repeats a character',
  extendedRepeat: 'it repeats a short block',
  sequences: 'it is a common sequence like abc or 123',
  recentYears: 'it ends in a recent year',
  dates: 'it contains a date',
  topTen: 'it is one of the ten most used passwords',
  topHundred: 'it is one of the hundred most used passwords',
  common: 'it is a commonly used password',
  similarToCommon: 'it is a common password with small changes (capitals, digits, l33t letters)',
  wordByItself: 'a single word is easy to guess',
  namesByThemselves: 'names on their own are easy to guess',
  commonNames: 'it is built on a common name',
  userInputs: 'it contains your name or the name of this service',
  pwned: 'it appeared in a data breach',
};

/** A person-readable verdict of zxcvbn, or null when the password is strong enough. */
export type StrengthJudge = (password: string, userInputs: readonly string[]) => string | null;

/**
 * The zxcvbn-ts estimator over its common dictionaries (`@zxcvbn-ts/language-common`: 49,233
 * passwords ranked by how often they appear in breach corpora, and the 7,776-word EFF diceware
 * list), keyboard graphs, l33t and Levenshtein matching. The dictionaries (~1 MB) load on the first
 * judgement, never at start-up (issue #17).
 */
export function createStrengthJudge(): StrengthJudge {
  let zxcvbn: Factory | undefined;
  const estimator = (): Factory => {
    if (zxcvbn) return zxcvbn;
    const require = createRequire(import.meta.url);
    const { ZxcvbnFactory } = require('@zxcvbn-ts/core') as { ZxcvbnFactory: typeof Factory };
    const common = require('@zxcvbn-ts/language-common') as typeof CommonLanguage;
    return (zxcvbn = new ZxcvbnFactory({ dictionary: common.dictionary, graphs: common.adjacencyGraphs, useLevenshteinDistance: true }));
  };
  return (password, userInputs) => {
    const result: ZxcvbnResult = estimator().check(password, [...userInputs, ...PRODUCT_WORDS]);
    if (result.score >= MIN_SCORE) return null;
    const why = result.feedback.warning ? WARNINGS[result.feedback.warning] : undefined;
    return `Password is too easy to guess${why ? `: ${why}` : ''}. Use a few unrelated words, or a longer, less predictable password`;
  };
}
