import { NoteError } from './errors.js';

const MAX_SEGMENT_BYTES = 255;
const MAX_PATH_BYTES = 1024;
const MAX_DEPTH = 8;

/** Letters, digits, space and a few punctuation marks; the first character is a letter or digit. */
const SEGMENT = /^[\p{L}\p{N}][\p{L}\p{N} _.,()'+-]*$/u;

const reject = (why: string): never => {
  throw new NoteError('NOTE_PATH_REJECTED', `note path rejected: ${why}`);
};

/**
 * Validates a note path relative to a familiar's notes root and returns its segments.
 * Refuses (never repairs) `..`, `.`, absolute paths, NUL and control characters, backslashes,
 * percent signs (encoded traversal), over-long names and anything outside a conservative
 * character set; file paths must end in `.md`.
 */
export function parseNotePath(input: unknown, kind: 'file' | 'dir' = 'file'): string[] {
  if (typeof input !== 'string') return reject('not a string');
  if (kind === 'dir' && input === '') return [];
  if (input.length === 0) return reject('empty');
  if (Buffer.byteLength(input, 'utf8') > MAX_PATH_BYTES) return reject(`longer than ${MAX_PATH_BYTES} bytes`);
  if (input.includes('\0')) return reject('NUL byte');
  if (/[\u0000-\u001f\u007f]/.test(input)) return reject('control character');
  if (input.includes('\\')) return reject('backslash');
  if (input.includes('%')) return reject('percent sign');
  if (input.startsWith('/') || /^[a-zA-Z]:/.test(input) || input.startsWith('~')) return reject('absolute path');
  const trimmed = kind === 'dir' ? input.replace(/\/+$/, '') : input;
  const segments = trimmed.split('/');
  if (segments.length > MAX_DEPTH) return reject(`deeper than ${MAX_DEPTH} levels`);
  for (const segment of segments) {
    if (segment === '') return reject('empty segment');
    if (segment === '.' || segment === '..' || segment.includes('..')) return reject('dot segment');
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return reject(`segment longer than ${MAX_SEGMENT_BYTES} bytes`);
    if (!SEGMENT.test(segment)) return reject('unsupported character');
    if (segment.endsWith('.') || segment.endsWith(' ')) return reject('trailing dot or space');
  }
  if (kind === 'file' && !segments[segments.length - 1]!.toLowerCase().endsWith('.md')) return reject('notes are .md files');
  return segments;
}

/** Familiar ids become directory names: only a strict id alphabet is accepted. */
export function checkFamiliarId(id: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(id)) throw new NoteError('NOTE_PATH_REJECTED', 'invalid familiar id');
  return id;
}
