import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, lstatSync, mkdirSync, openSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { JobDefinition } from '../jobs/index.js';

/** The private directory for temporary files under the data directory (DATA-3). */
const TEMP_DIR_NAME = 'tmp';
const DAY_MS = 24 * 60 * 60 * 1000;
const SAFE_SUFFIX = /^[a-z0-9.]{0,16}$/;

/** Creates `<dataDir>/tmp` 0700 (tightening it if too open) and returns its path. */
function ensureTempDir(dataDir: string): string {
  const dir = join(dataDir, TEMP_DIR_NAME);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if ((st.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
  return dir;
}

export interface TempFile {
  readonly path: string;
  /** Deletes the file (ignores one already gone). */
  remove(): void;
}

/**
 * Creates a new, empty temporary file exclusively (O_EXCL, O_NOFOLLOW) with mode 0600 in the
 * private temp directory; never reuses or follows an existing name.
 */
export function createTempFile(dataDir: string, suffix = ''): TempFile {
  if (!SAFE_SUFFIX.test(suffix)) throw new Error('invalid temp file suffix');
  const dir = ensureTempDir(dataDir);
  const path = join(dir, `${Date.now()}-${randomBytes(12).toString('hex')}${suffix}`);
  const fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_RDWR | (constants.O_NOFOLLOW ?? 0), 0o600);
  closeSync(fd);
  return { path, remove: () => rmSync(path, { force: true }) };
}

/** Removes entries of the private temp directory older than `maxAgeMs` (24 h by default); returns how many. */
export function sweepTempDir(dataDir: string, options: { now?: number; maxAgeMs?: number } = {}): number {
  const dir = ensureTempDir(dataDir);
  const cutoff = (options.now ?? Date.now()) - (options.maxAgeMs ?? DAY_MS);
  let removed = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (lstatSync(path).mtimeMs < cutoff) {
        rmSync(path, { recursive: true, force: true });
        removed++;
      }
    } catch {
      // vanished meanwhile
    }
  }
  return removed;
}

/** The sweep as a job: in every process (its own data directory), at start and every hour. */
export function tempSweepJob(dataDir: string, options: { intervalMs?: number; onSwept?: (n: number) => void } = {}): JobDefinition {
  return {
    name: 'files-sweep-temp',
    local: true,
    atStartMs: 0,
    everyMs: options.intervalMs ?? 60 * 60 * 1000,
    retries: 0,
    async run() {
      const n = sweepTempDir(dataDir);
      if (n > 0) options.onSwept?.(n);
    },
  };
}
