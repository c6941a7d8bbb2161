import { MemoryError } from './errors.js';
import type { Metadata } from './types.js';

const MAX_MEMORY_CHARS = 10_000;
const KEY = /^[A-Za-z0-9_]{1,64}$/;

/** Checks a memory's text and metadata; throws MemoryError('MEMORY_INVALID') with a clear message. */
export function checkMemory(text: string | undefined, metadata: Metadata | undefined): void {
  if (text !== undefined) {
    if (text.trim().length === 0) throw new MemoryError('MEMORY_INVALID', 'text must not be empty');
    if (text.length > MAX_MEMORY_CHARS) throw new MemoryError('MEMORY_INVALID', `text is limited to ${MAX_MEMORY_CHARS} characters`);
    if (text.includes('\0')) throw new MemoryError('MEMORY_INVALID', 'text must not contain NUL');
  }
  if (metadata !== undefined) {
    const entries = Object.entries(metadata);
    if (entries.length > 32) throw new MemoryError('MEMORY_INVALID', 'at most 32 metadata keys');
    for (const [k, v] of entries) {
      if (!KEY.test(k)) throw new MemoryError('MEMORY_INVALID', 'metadata keys are 1-64 letters, digits or _');
      if (typeof v === 'string' ? v.length > 500 : typeof v !== 'number' && typeof v !== 'boolean')
        throw new MemoryError('MEMORY_INVALID', 'metadata values are strings (≤ 500), numbers or booleans');
    }
  }
}
