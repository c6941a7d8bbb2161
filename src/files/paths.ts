import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';

/** Whether `path` is `parent` or lies inside it (both already resolved). */
export function isWithin(path: string, parent: string): boolean {
  const r = relative(parent, path);
  return r === '' || (!r.startsWith('..') && !isAbsolute(r));
}

/** The path with symlinks resolved, or just resolved when it does not exist (yet). */
export function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}
