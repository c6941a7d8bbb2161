import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { BackupError } from './format.js';

/**
 * Who is using a data directory (DATA-6). Every Hearth process that opens one (`hearth start`, the
 * CLI commands, tests) registers a file `<dataDir>/run/<pid>-<random>.pid` while it runs; a restore
 * holds `<dataDir>/run/restore.lock`. Each side writes its own file first and then looks for the
 * other's, so a server starting during a restore, or a restore under a running server, is refused
 * on at least one side. A file left by a killed process is recognised by its dead pid and ignored.
 */
export const RUN_DIR = 'run';
const RESTORE_LOCK = 'restore.lock';
const O_CREATE_EXCL = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: number;
}

export interface DataDirClaim {
  /** Removes the claim (idempotent). */
  release(): void;
}

function runDir(dataDir: string): string {
  const dir = join(dataDir, RUN_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

function writeHolder(path: string): void {
  const fd = openSync(path, O_CREATE_EXCL, 0o600);
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid, host: hostname(), startedAt: Date.now() } satisfies Holder));
  } finally {
    closeSync(fd);
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    const h = JSON.parse(text) as Holder;
    return Number.isSafeInteger(h.pid) && typeof h.host === 'string' ? h : { pid: -1, host: '?', startedAt: 0 };
  } catch (err) {
    // Gone meanwhile, or being written this instant: a file that exists but cannot be parsed is treated as alive.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { pid: -1, host: '?', startedAt: 0 };
  }
}

/** Alive unless it is provably gone: a pid on this host that no longer exists. Another host's cannot be checked. */
function alive(h: Holder): boolean {
  if (h.host !== hostname() || h.pid <= 0) return true;
  try {
    process.kill(h.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describe(h: Holder): string {
  return h.pid > 0 ? `pid ${h.pid}${h.host === hostname() ? '' : ` on ${h.host}`}` : 'an unknown process';
}

/** The live holders among `names`; the files of dead ones are removed. */
function liveHolders(dir: string, names: readonly string[]): Holder[] {
  const live: Holder[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const h = readHolder(path);
    if (!h) continue;
    if (alive(h)) live.push(h);
    else rmSync(path, { force: true });
  }
  return live;
}

function releaser(path: string): DataDirClaim {
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      rmSync(path, { force: true });
    },
  };
}

/**
 * Registers this process as a user of `dataDir` for as long as it runs; refuses while a restore
 * holds the directory. `createHearth` calls it, so every server and command is registered.
 */
export function registerDataDirUser(dataDir: string): DataDirClaim {
  const dir = runDir(dataDir);
  const path = join(dir, `${process.pid}-${randomBytes(6).toString('hex')}.pid`);
  writeHolder(path);
  const restoring = liveHolders(dir, [RESTORE_LOCK]);
  if (restoring.length > 0) {
    rmSync(path, { force: true });
    throw new BackupError(
      'BACKUP_TARGET_IN_USE',
      `a restore (${describe(restoring[0]!)}) is replacing ${dataDir}; start Hearth when it ends`,
    );
  }
  return releaser(path);
}

/**
 * Takes the data directory for a restore (or another whole-directory change, `hearth db encrypt`):
 * refuses while any Hearth process (a server, a command, another restore) uses it, naming them,
 * and keeps new ones from starting until released.
 */
export function claimDataDirForRestore(dataDir: string, purpose = 'restoring'): DataDirClaim {
  const dir = runDir(dataDir);
  const lock = join(dir, RESTORE_LOCK);
  try {
    writeHolder(lock);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const other = liveHolders(dir, [RESTORE_LOCK]);
    if (other.length > 0)
      throw new BackupError('BACKUP_TARGET_IN_USE', `another restore (${describe(other[0]!)}) is running on ${dataDir}`);
    writeHolder(lock);
  }
  const users = liveHolders(
    dir,
    readdirSync(dir).filter((n) => n.endsWith('.pid')),
  );
  if (users.length > 0) {
    rmSync(lock, { force: true });
    throw new BackupError(
      'BACKUP_TARGET_IN_USE',
      `Hearth is using ${dataDir} (${users.map(describe).join(', ')}); stop it before ${purpose}. Nothing was changed`,
    );
  }
  return releaser(lock);
}
