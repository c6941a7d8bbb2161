import { constants, type Stats } from 'node:fs';
import { lstat, mkdir, open, realpath, type FileHandle } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { NoteError } from './errors.js';

const { O_NOFOLLOW, O_RDONLY } = constants;

async function lstatOrNull(path: string): Promise<Stats | null> {
  try {
    return await lstat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Throws unless `path` (after realpath) lies inside `root` (after realpath). */
async function assertInside(root: string, path: string): Promise<void> {
  const [realRoot, real] = await Promise.all([realpath(root), realpath(path)]);
  if (real !== realRoot && !real.startsWith(realRoot + sep))
    throw new NoteError('NOTE_LINK_REJECTED', 'path leads outside the notes directory');
}

/**
 * Walks `segments` below `root` one component at a time with lstat: a symlink anywhere is
 * refused, missing directories are created (0700) when `create`, and the result is checked
 * again after realpath. Returns the absolute directory path, or null when missing and not created.
 */
export async function safeDir(root: string, segments: readonly string[], create: boolean): Promise<string | null> {
  let path = root;
  for (const segment of segments) {
    path = join(path, segment);
    const st = await lstatOrNull(path);
    if (st === null) {
      if (!create) return null;
      try {
        await mkdir(path, { mode: 0o700 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const again = await lstat(path);
      if (again.isSymbolicLink() || !again.isDirectory()) throw new NoteError('NOTE_LINK_REJECTED', 'path component is a link');
    } else if (st.isSymbolicLink()) {
      throw new NoteError('NOTE_LINK_REJECTED', 'path component is a symbolic link');
    } else if (!st.isDirectory()) {
      throw new NoteError('NOTE_PATH_REJECTED', 'path component is not a directory');
    }
  }
  await assertInside(root, path);
  return path;
}

/**
 * Opens a file with O_NOFOLLOW and refuses anything that is not a regular file with exactly one
 * link (a hard link planted inside could point at a file elsewhere).
 */
export async function safeOpen(path: string, flags: number, mode = 0o600): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | O_NOFOLLOW, mode);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new NoteError('NOTE_LINK_REJECTED', 'note is a symbolic link');
    if (code === 'ENOENT') throw new NoteError('NOTE_NOT_FOUND', 'note not found');
    if (code === 'EISDIR') throw new NoteError('NOTE_PATH_REJECTED', 'path is a directory');
    throw e;
  }
  const st = await handle.stat();
  if (!st.isFile() || st.nlink !== 1) {
    await handle.close();
    throw new NoteError('NOTE_LINK_REJECTED', st.isFile() ? 'note has more than one hard link' : 'not a regular file');
  }
  return handle;
}

export const READ_FLAGS = O_RDONLY;
export { lstatOrNull };
