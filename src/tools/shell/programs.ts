import type { ShellWord } from './words.js';
import type { Collector } from './types.js';

const SYSTEM_DIRS = new Set(['/bin', '/usr/bin', '/usr/local/bin', '/sbin', '/usr/sbin', '/usr/local/sbin']);

/** Zero-width, bidirectional and other invisible characters that make text read differently. */
export function hasInvisible(text: string): boolean {
  for (const ch of text) {
    const c = ch.codePointAt(0) ?? 0;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) return true;
    if ((c >= 0x200b && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069)) return true;
    if (c === 0xfeff || c === 0x00ad || c === 0x2060 || c === 0x180e) return true;
  }
  return false;
}

/**
 * The program name as the policy compares it: literal ASCII only (look-alikes are refused),
 * basename only for programs in the system directories (`./git` stays `./git`).
 */
export function programName(word: ShellWord, out: Collector): string | null {
  if (word.dynamic) {
    out.add('deny', `the program name is computed at run time (${word.text})`);
    return null;
  }
  const name = word.text;
  if (name.length === 0) {
    out.add('deny', 'empty program name');
    return null;
  }
  if (!/^[\x21-\x7e]+$/.test(name)) {
    out.add('deny', `program name contains non-ASCII or invisible characters: ${JSON.stringify(name)}`);
    return null;
  }
  const slash = name.lastIndexOf('/');
  if (slash < 0) return name;
  const dir = name.slice(0, slash) || '/';
  return SYSTEM_DIRS.has(dir) ? name.slice(slash + 1) : name;
}

export const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ash', 'mksh', 'fish', 'csh', 'tcsh']);
export const INTERPRETERS = new Set([
  'python',
  'python2',
  'python3',
  'node',
  'nodejs',
  'deno',
  'bun',
  'perl',
  'ruby',
  'php',
  'lua',
  'tclsh',
  'osascript',
]);
export const DOWNLOADERS = new Set(['curl', 'wget', 'fetch', 'aria2c', 'nc', 'ncat', 'socat', 'ftp', 'tftp', 'http', 'xh']);
