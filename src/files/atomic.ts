import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, renameSync, unlinkSync, writeSync, constants } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const O_EXCL_CREATE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);

/** Flushes a directory entry to disk (after rename/link); best effort where the OS refuses. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, constants.O_RDONLY);
    fsyncSync(fd);
  } catch {
    // Some filesystems do not allow fsync on a directory; the rename is still atomic.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function tempSibling(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

function writeAllAndSync(path: string, data: string | Uint8Array, mode: number): void {
  const fd = openSync(path, O_EXCL_CREATE, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` atomically (DATA-3): a 0600 temporary file in the same directory, created
 * exclusively, written, fsynced, renamed over the target, then the directory fsynced. A crash
 * at any point leaves the old file or the new one, never a torn one.
 */
export function writeFileAtomic(file: string, data: string | Uint8Array, options: { mode?: number } = {}): void {
  const tmp = tempSibling(file);
  try {
    writeAllAndSync(tmp, data, options.mode ?? 0o600);
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw err;
  }
  fsyncDir(dirname(file));
}

/**
 * Creates `file` atomically only if it does not exist (link fails on an existing name), so two
 * racing processes never overwrite each other. Returns false when the file already existed.
 */
export function createFileExclusive(file: string, data: string | Uint8Array, options: { mode?: number } = {}): boolean {
  const tmp = tempSibling(file);
  writeAllAndSync(tmp, data, options.mode ?? 0o600);
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
    fsyncDir(dirname(file));
  }
}
