import { randomBytes } from 'node:crypto';
import { constants, existsSync, lstatSync, mkdirSync, readdirSync, readSync, openSync, closeSync, renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { fsyncDir } from '../files/index.js';
import type { ArchiveSink, OpenedEntry } from './archive.js';
import { BackupError, MAGIC } from './format.js';
import { RUN_DIR } from './in-use.js';

/**
 * What of the data directory is Hearth's data (DATA-6): everything, except what stays with the
 * machine: the master key (a backup must not carry its own key), temporary files, the run
 * registrations, a restore's own staging folders, and backup files (they start with MAGIC). The
 * SQLite database is copied through SQLite's online backup, never as a file.
 */
const KEPT_IN_PLACE = new Set(['master.key', 'tmp', RUN_DIR]);
const STAGING_PREFIX = '.restore-';
const MAX_DEPTH = 32;

/** The names of the SQLite database and its side files. */
function databaseFiles(dbName: string): Set<string> {
  return new Set([dbName, `${dbName}-wal`, `${dbName}-shm`, `${dbName}-journal`]);
}

function keptInPlace(name: string): boolean {
  return KEPT_IN_PLACE.has(name) || name.startsWith(STAGING_PREFIX);
}

function startsWithMagic(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    const head = Buffer.alloc(MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(MAGIC);
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Top-level entries of the data directory that are Hearth's, besides the database. */
function dataNames(dataDir: string, dbName: string): string[] {
  const db = databaseFiles(dbName);
  return readdirSync(dataDir)
    .filter((n) => !keptInPlace(n) && !db.has(n) && !(n.startsWith('.') && n.endsWith('.partial')))
    .filter((n) => !(lstatSync(join(dataDir, n)).isFile() && startsWithMagic(join(dataDir, n))))
    .sort();
}

/**
 * Adds every file and folder of the data directory that is Hearth's (notes and anything else) to
 * the archive. Walked with lstat: links, devices and hard-linked files are never followed or copied
 * (they are listed in `skipped`); each file is read from one open descriptor, exactly its size then.
 */
export async function addDataTree(sink: ArchiveSink, dataDir: string, dbName: string): Promise<{ files: number; skipped: string[] }> {
  const skipped: string[] = [];
  let files = 0;
  const walk = async (rel: string, depth: number): Promise<void> => {
    const abs = join(dataDir, rel);
    const st = lstatSync(abs);
    if (st.isDirectory() && depth < MAX_DEPTH) {
      await sink.add({ t: 'dir', path: rel });
      for (const name of readdirSync(abs).sort()) await walk(`${rel}/${name}`, depth + 1);
      return;
    }
    if (!st.isFile() || st.nlink !== 1) {
      skipped.push(rel);
      return;
    }
    const fh = await open(abs, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    try {
      const size = (await fh.stat()).size;
      const data = size === 0 ? undefined : fh.createReadStream({ start: 0, end: size - 1, autoClose: false });
      await sink.add({ t: 'file', path: rel, size }, data);
      files++;
    } finally {
      await fh.close();
    }
  };
  for (const name of dataNames(dataDir, dbName)) await walk(name, 1);
  return { files, skipped };
}

/** Refuses any archive path that could land outside the staging folder or on what stays in place. */
function safePath(path: string, dbName: string): string[] {
  const parts = path.split('/');
  const bad =
    path.length > 4_096 ||
    parts.length > MAX_DEPTH ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p.length > 255 || /[\0\\]/.test(p)) ||
    keptInPlace(parts[0]!) ||
    databaseFiles(dbName).has(parts[0]!);
  if (bad) throw new BackupError('BACKUP_MALFORMED', 'the archive names a path outside the data directory');
  return parts;
}

/** A new private staging folder inside the data directory (same filesystem, so the swap is renames). */
export function createStaging(dataDir: string): string {
  const dir = join(dataDir, `${STAGING_PREFIX}${randomBytes(6).toString('hex')}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
}

/** Writes a `dir` or `file` entry into the staging folder (folders 0700, files 0600, never over an existing name). */
export async function extractEntry(staging: string, item: OpenedEntry, dbName: string): Promise<void> {
  const { entry } = item;
  if (entry.t !== 'dir' && entry.t !== 'file') return;
  const parts = safePath(entry.path, dbName);
  const target = join(staging, ...parts);
  mkdirSync(join(staging, ...parts.slice(0, -1)), { recursive: true, mode: 0o700 });
  try {
    if (entry.t === 'dir') mkdirSync(target, { mode: 0o700 });
    else await item.copyTo(target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupError('BACKUP_MALFORMED', 'the archive names one path twice');
    throw err;
  }
}

/**
 * Replaces the data directory's Hearth data with the staging folder's: the current entries move
 * into a folder aside, the staged ones move in, then the old ones are deleted. `swapDatabase`
 * says whether the SQLite files are part of it (PostgreSQL restores leave them alone), `swapFiles`
 * whether the other files are (a version-1 backup held the database only, so files stay). Returns
 * a rollback that puts everything back, usable until `commit`.
 */
export function swapIn(dataDir: string, staging: string, options: { dbName: string; swapDatabase: boolean; swapFiles: boolean }) {
  const aside = createStaging(dataDir);
  const db = databaseFiles(options.dbName);
  const current = [
    ...(options.swapFiles ? dataNames(dataDir, options.dbName) : []),
    ...(options.swapDatabase ? [...db].filter((n) => existsSync(join(dataDir, n))) : []),
  ];
  const movedOut: string[] = [];
  const movedIn: string[] = [];
  const rollback = () => {
    for (const n of movedIn.reverse()) rmSync(join(dataDir, n), { recursive: true, force: true });
    for (const n of movedOut.reverse()) renameSync(join(aside, n), join(dataDir, n));
    rmSync(aside, { recursive: true, force: true });
    fsyncDir(dataDir);
  };
  try {
    for (const n of current) {
      renameSync(join(dataDir, n), join(aside, n));
      movedOut.push(n);
    }
    for (const n of readdirSync(staging)) {
      // Never over what stays in place (a backup file of the same name): rename would replace it silently.
      if (existsSync(join(dataDir, n)))
        throw new BackupError('BACKUP_TARGET_NOT_EMPTY', `${n} in the data directory is in the way; move it`);
      renameSync(join(staging, n), join(dataDir, n));
      movedIn.push(n);
    }
    fsyncDir(dataDir);
  } catch (err) {
    rollback();
    throw err;
  }
  return {
    rollback,
    commit() {
      rmSync(aside, { recursive: true, force: true });
      fsyncDir(dataDir);
    },
  };
}
