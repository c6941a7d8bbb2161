import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

declare module 'vitest' {
  interface TaskMeta {
    /** Set on suites that read the shared corpora; `missing` when they were skipped for lack of them. */
    corpus?: { paths: string; missing: boolean };
  }
}

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * Where the shared public corpora live: `../shared/data` next to the repository (CI always has
 * it), or HEARTH_TEST_CORPORA (a path relative to the repository, or absolute). They are never
 * copied into the repository; suites that need them are skipped when they are absent, and every
 * protection they exercise also has a corpus-free test.
 */
export const CORPORA_LABEL = process.env.HEARTH_TEST_CORPORA || '../shared/data';
export const CORPORA_DIR = resolve(ROOT, CORPORA_LABEL);

/** Absolute path of a corpus file or folder (relative to the corpora folder), or undefined when it is absent. */
export function corpus(path: string): string | undefined {
  const full = join(CORPORA_DIR, path);
  return existsSync(full) ? full : undefined;
}

/** The non-empty lines of a corpus file, or undefined when it is absent. */
export function corpusLines(path: string): string[] | undefined {
  const file = corpus(path);
  return file === undefined
    ? undefined
    : readFileSync(file, 'utf8')
        .split('\n')
        .filter((l) => l.length > 0);
}

/**
 * Options for `describe(name, needsCorpus(...paths), fn)`: the suite is skipped when any of the
 * paths is missing, and test/support/corpus-reporter.ts names it once at the end of the run.
 */
export function needsCorpus(...paths: string[]): { skip: boolean; meta: { corpus: { paths: string; missing: boolean } } } {
  const missing = paths.some((p) => corpus(p) === undefined);
  return { skip: missing, meta: { corpus: { paths: paths.join(', '), missing } } };
}
