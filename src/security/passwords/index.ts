import argon2 from 'argon2';
import { createStrengthJudge } from './strength.js';

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, parallelism 1 (AUTH-1). */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const PASSWORD_MIN_LENGTH = 12;
/** Longer inputs only cost hashing time; nobody types a 256-character password. */
const PASSWORD_MAX_LENGTH = 256;

/** Why a password is refused: `guessable` is zxcvbn's verdict (a breached or common password, a pattern, a name). */
type PasswordProblem = 'too_short' | 'too_long' | 'matches_name' | 'guessable';

/** A refusal: the reason code (tests check it) and a sentence for the person. */
interface PasswordVerdict {
  readonly problem: PasswordProblem;
  readonly message: string;
}

/** A password checker whose strength estimator loads with the first password judged (no module-level state). */
export interface PasswordPolicy {
  /** The reason a password is refused, or null when acceptable. */
  check(password: string, context?: { name?: string }): PasswordVerdict | null;
  hash(password: string): Promise<string>;
  /** Constant-effort verification; a malformed stored hash verifies as false. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** Spends the same effort as a real verification (unknown user; AUTH-3 equal timing). */
  verifyDummy(password: string): Promise<false>;
}

const verdict = (problem: PasswordProblem, message: string): PasswordVerdict => ({ problem, message });

/** Builds the password policy: length bounds, the zxcvbn estimator with its breached-password list, argon2id hashing. */
export function createPasswordPolicy(): PasswordPolicy {
  const judge = createStrengthJudge();
  let dummy: Promise<string> | undefined;
  return {
    check(password, context = {}) {
      const length = [...password].length;
      if (length < PASSWORD_MIN_LENGTH) return verdict('too_short', `Password must be at least ${PASSWORD_MIN_LENGTH} characters`);
      if (length > PASSWORD_MAX_LENGTH) return verdict('too_long', `Password must be at most ${PASSWORD_MAX_LENGTH} characters`);
      const name = context.name?.trim().toLowerCase();
      if (name && name.length >= 3 && password.toLowerCase().includes(name))
        return verdict('matches_name', 'Password must not contain the user name');
      const weak = judge(password, name ? [name] : []);
      return weak ? verdict('guessable', weak) : null;
    },
    hash: (password) => argon2.hash(password, ARGON2_OPTIONS),
    async verify(storedHash, password) {
      try {
        return await argon2.verify(storedHash, password);
      } catch {
        return false;
      }
    },
    async verifyDummy(password) {
      dummy ??= argon2.hash('hearth-dummy-password-for-timing', ARGON2_OPTIONS);
      await argon2.verify(await dummy, password).catch(() => false);
      return false;
    },
  };
}
