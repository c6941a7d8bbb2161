import { randomBytes } from 'node:crypto';

/**
 * Time-ordered ids (ms timestamp + per-process counter + randomness): messages sort by id in
 * the order they were written, which paging relies on.
 */
export function createIdGenerator(now: () => number = Date.now): () => string {
  let last = 0;
  let counter = 0;
  return () => {
    const t = now();
    if (t === last) counter++;
    else {
      last = t;
      counter = 0;
    }
    return `${t.toString(36).padStart(9, '0')}${counter.toString(36).padStart(4, '0')}${randomBytes(6).toString('hex')}`;
  };
}
