import type { Invocation } from './types.js';

/** One operator rule: a program, optionally with a glob over its arguments (`git status*`). */
export interface AllowRule {
  readonly program: string;
  /** Glob over the arguments joined by single spaces; `*` matches anything. Absent: any arguments. */
  readonly args?: string;
}

/** Shell builtins that change nothing outside the shell itself. */
const HARMLESS = new Set(['cd', 'pwd', 'true', 'false', ':', 'test', '[', 'export', 'unset', 'set', 'wait']);

/**
 * Parses the operator's allowlist: entries separated by commas or newlines, each
 * `program` or `program argument-glob` (e.g. `git status*`, `npm test`).
 */
export function parseAllowlist(text: string | readonly string[]): AllowRule[] {
  const entries = typeof text === 'string' ? text.split(/[,\n]/) : text;
  const rules: AllowRule[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry === '' || entry.startsWith('#')) continue;
    const space = entry.indexOf(' ');
    if (space < 0) rules.push({ program: entry });
    else rules.push({ program: entry.slice(0, space), args: entry.slice(space + 1).trim() });
  }
  return rules;
}

/** Matches `*` and `?` globs without regular expressions (linear in practice, no backtracking blow-up). */
function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === '?' || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      mark = t;
    } else if (star >= 0) {
      p = star + 1;
      t = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

/** True when the operator allowed this program with these arguments. */
export function isAllowed(rules: readonly AllowRule[], inv: Invocation): boolean {
  if (HARMLESS.has(inv.program)) return true;
  const args = inv.args.map((a) => a.text).join(' ');
  return rules.some((r) => r.program === inv.program && (r.args === undefined || globMatch(r.args, args)));
}
