/**
 * Lorebook (world info) entries and the {{char}}/{{user}} macros of SillyTavern-style familiars.
 * Entries are the operator's text, but often come from an imported card: they reach the model only
 * as fenced data blocks, never as system text, and only when one of their keys is mentioned.
 */

export interface LoreEntry {
  /** Words or phrases that bring the entry in when the person (or the last reply) mentions one. */
  readonly keys: readonly string[];
  readonly content: string;
  /** false: kept but never used. */
  readonly enabled?: boolean | undefined;
}

/** Most entries one turn hands the model, in the lorebook's order. */
const MAX_TRIGGERED_ENTRIES = 5;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The enabled entries whose keys occur in `texts` (case-insensitive, whole words where a key
 * starts and ends with a letter or digit), at most MAX_TRIGGERED_ENTRIES.
 */
export function triggeredEntries(entries: readonly LoreEntry[], texts: readonly string[]): LoreEntry[] {
  const haystack = texts.join('\n').toLowerCase();
  if (!haystack || entries.length === 0) return [];
  const hit = (key: string) => {
    const k = key.trim().toLowerCase();
    if (!k) return false;
    const left = /^[\p{L}\p{N}]/u.test(k) ? '(?<![\\p{L}\\p{N}])' : '';
    const right = /[\p{L}\p{N}]$/u.test(k) ? '(?![\\p{L}\\p{N}])' : '';
    return new RegExp(`${left}${escape(k)}${right}`, 'u').test(haystack);
  };
  return entries.filter((e) => e.enabled !== false && e.content.trim() && e.keys.some(hit)).slice(0, MAX_TRIGGERED_ENTRIES);
}

/**
 * Replaces {{char}} and {{user}} (any case, spaces allowed inside the braces). Text the model reads
 * as instructions gets a fixed `user` phrase; a person's own name (which they or a chat platform
 * chose) goes only into data blocks, so it can never become an instruction.
 */
export function expandMacros(text: string, names: { char: string; user: string }): string {
  return text.replace(/\{\{\s*(char|user)\s*\}\}/gi, (_m, which: string) => (which.toLowerCase() === 'char' ? names.char : names.user));
}

/** What {{user}} becomes in the persona (system text): never a name someone else chose. */
export const USER_IN_INSTRUCTIONS = 'the person';
