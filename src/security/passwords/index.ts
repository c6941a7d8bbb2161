import { createRequire } from 'node:module';
import argon2 from 'argon2';
import type { dictionary as Dictionary } from '@zxcvbn-ts/language-common';

/** OWASP's argon2id parameters: 19 MiB, 2 iterations, parallelism 1 (AUTH-1). */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

const PASSWORD_MIN_LENGTH = 12;
/** Longer inputs only cost hashing time; nobody types a 256-character password. */
const PASSWORD_MAX_LENGTH = 256;

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'matches_name';

/** A password checker with its common-password list loaded once (no module-level state). */
export interface PasswordPolicy {
  /** Returns the first reason a password is refused, or null when acceptable. */
  check(password: string, context?: { name?: string }): PasswordProblem | null;
  hash(password: string): Promise<string>;
  /** Constant-effort verification; a malformed stored hash verifies as false. */
  verify(storedHash: string, password: string): Promise<boolean>;
  /** Spends the same effort as a real verification (unknown user; AUTH-3 equal timing). */
  verifyDummy(password: string): Promise<false>;
}

export const PASSWORD_MESSAGES: Record<PasswordProblem, string> = {
  too_short: `Password must be at least ${PASSWORD_MIN_LENGTH} characters`,
  too_long: `Password must be at most ${PASSWORD_MAX_LENGTH} characters`,
  common: 'Password is too common; choose another',
  matches_name: 'Password must not contain the user name',
};

/** Builds the password policy: argon2id hashing and the zxcvbn common-password list. */
export function createPasswordPolicy(): PasswordPolicy {
  // The list (~10 MB in memory) loads with the first password checked, not at start.
  let commonList: ReadonlySet<string> | undefined;
  const commonPasswords = (): ReadonlySet<string> => {
    if (commonList) return commonList;
    const { dictionary } = createRequire(import.meta.url)('@zxcvbn-ts/language-common') as { dictionary: typeof Dictionary };
    return (commonList = new Set(dictionary['passwords-common'].map((p) => p.toLowerCase())));
  };
  let dummy: Promise<string> | undefined;
  return {
    check(password, context = {}) {
      const length = [...password].length;
      if (length < PASSWORD_MIN_LENGTH) return 'too_short';
      if (length > PASSWORD_MAX_LENGTH) return 'too_long';
      const common = commonPasswords();
      const lower = password.toLowerCase();
      if (common.has(lower) || isRepetitionOfCommon(lower, common)) return 'common';
      const name = context.name?.toLowerCase();
      if (name && name.length >= 3 && lower.includes(name)) return 'matches_name';
      return null;
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

/** "passwordpassword", "123412341234": a common word or a short block repeated. */
function isRepetitionOfCommon(lower: string, common: ReadonlySet<string>): boolean {
  for (let size = 1; size <= lower.length / 2; size++) {
    if (lower.length % size !== 0) continue;
    const block = lower.slice(0, size);
    if (block.repeat(lower.length / size) === lower && (size <= 4 || common.has(block))) return true;
  }
  return false;
}
