import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, readdir, rename, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditActor, AuditLog } from '../../security/audit/types.js';
import { NoteError } from './errors.js';
import { checkFamiliarId, parseNotePath } from './paths.js';
import { lstatOrNull, READ_FLAGS, safeDir, safeOpen } from './fs-safe.js';

const { O_APPEND, O_CREAT, O_EXCL, O_WRONLY } = constants;

interface NoteLimits {
  readonly maxFileBytes: number;
  readonly maxResults: number;
  readonly maxFilesPerDir: number;
}
const NOTE_LIMITS: NoteLimits = { maxFileBytes: 256 * 1024, maxResults: 1000, maxFilesPerDir: 10_000 };

/** Whose notes: a familiar's shared notes (admins) or the notes it keeps about one person. */
export interface NotesScope {
  readonly familiarId: string;
  /** null = the familiar's shared notes (admin API); otherwise the person's own folder (DATA-4). */
  readonly userId: string | null;
}

/** Who is writing, for the audit trail (LOG-3). */
interface NoteWriter {
  readonly actor: AuditActor;
  readonly source: 'model' | 'admin' | 'import';
  readonly requestId?: string;
}

interface NoteEntry {
  readonly path: string;
  readonly bytes: number;
  readonly updatedAt: number;
}
interface NoteMatch {
  readonly path: string;
  readonly line: number;
  readonly text: string;
}

/** The only code that touches notes directories (MEM-1); see INVARIANTS.md. */
export interface NotesStore {
  list(scope: NotesScope, dir?: string): Promise<NoteEntry[]>;
  read(scope: NotesScope, path: string): Promise<string>;
  search(scope: NotesScope, query: string): Promise<NoteMatch[]>;
  write(scope: NotesScope, path: string, content: string, by: NoteWriter): Promise<NoteEntry>;
  append(scope: NotesScope, path: string, content: string, by: NoteWriter): Promise<NoteEntry>;
  delete(scope: NotesScope, path: string, by: NoteWriter): Promise<void>;
  /** Removes every person folder of `userId` under every familiar (erasure, DATA-5). */
  erasePerson(userId: string): Promise<number>;
  /**
   * Moves a person's note folders to another person (#15 merge): each familiar's folder is renamed,
   * or, where the other person already has one, kept whole inside it as `merged-<from>`. Returns how many folders.
   */
  reassignPerson(from: string, to: string): Promise<number>;
  /** How many note files a familiar keeps (shared and every person's), links and temp files not counted. */
  countFamiliar(familiarId: string): Promise<number>;
  /** Removes a familiar's whole notes folder (shared and every person's); returns how many note files it held. */
  eraseFamiliar(familiarId: string): Promise<number>;
}

export interface NotesStoreOptions {
  /** `<dataDir>/notes`; created 0700. */
  readonly root: string;
  readonly audit: AuditLog;
  readonly limits?: Partial<NoteLimits>;
}

/** Creates the notes store over `root`. Every path is validated, walked without following links and re-checked. */
export function createNotesStore(options: NotesStoreOptions): NotesStore {
  const limits = { ...NOTE_LIMITS, ...options.limits };
  const { root, audit } = options;

  function scopeSegments(scope: NotesScope): string[] {
    const base = [checkFamiliarId(scope.familiarId)];
    if (scope.userId === null) return [...base, 'shared'];
    return [...base, 'people', checkFamiliarId(scope.userId)];
  }
  async function scopeRoot(scope: NotesScope, create: boolean): Promise<string | null> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    return safeDir(root, scopeSegments(scope), create);
  }
  async function locate(scope: NotesScope, path: string, create: boolean) {
    const segments = parseNotePath(path, 'file');
    const base = await scopeRoot(scope, create);
    const dir = base === null ? null : await safeDir(base, segments.slice(0, -1), create);
    if (dir === null) throw new NoteError('NOTE_NOT_FOUND', 'note not found');
    return { dir, file: join(dir, segments[segments.length - 1]!), rel: segments.join('/') };
  }
  function checkSize(bytes: number) {
    if (bytes > limits.maxFileBytes) throw new NoteError('NOTE_TOO_LARGE', `notes are limited to ${limits.maxFileBytes} bytes`);
  }
  async function ensureRoom(dir: string, file: string) {
    if ((await lstatOrNull(file)) !== null) return;
    const count = (await readdir(dir)).length;
    if (count >= limits.maxFilesPerDir)
      throw new NoteError('NOTE_DIRECTORY_FULL', `a notes folder holds at most ${limits.maxFilesPerDir} files`);
  }
  async function audited<T>(
    scope: NotesScope,
    action: string,
    path: string,
    by: NoteWriter,
    length: number,
    fn: () => Promise<T>,
  ): Promise<T> {
    const base = { actor: by.actor, action, target: `${scope.familiarId}:${path}`, ...(by.requestId ? { requestId: by.requestId } : {}) };
    try {
      const result = await fn();
      await audit.record({ ...base, outcome: 'success', details: { length, source: by.source, person: scope.userId !== null } });
      return result;
    } catch (e) {
      if (e instanceof NoteError) await audit.record({ ...base, outcome: 'denied', details: { code: e.code, length, source: by.source } });
      throw e;
    }
  }
  async function entry(rel: string, file: string): Promise<NoteEntry> {
    const st = await lstatOrNull(file);
    return { path: rel, bytes: st?.size ?? 0, updatedAt: Math.floor(st?.mtimeMs ?? 0) };
  }
  async function walk(scope: NotesScope, dir: string | undefined, visit: (rel: string, abs: string) => Promise<void>) {
    const prefix = parseNotePath(dir ?? '', 'dir');
    const base = await scopeRoot(scope, false);
    const start = base === null ? null : await safeDir(base, prefix, false);
    if (start === null) {
      if (prefix.length === 0) return;
      throw new NoteError('NOTE_NOT_FOUND', 'folder not found');
    }
    const stack: Array<[string, string[]]> = [[start, prefix]];
    while (stack.length) {
      const [abs, rel] = stack.pop()!;
      for (const d of await readdir(abs, { withFileTypes: true })) {
        // Links are never followed; temp files of in-flight writes are skipped.
        if (d.isSymbolicLink() || d.name.startsWith('.')) continue;
        if (d.isDirectory()) stack.push([join(abs, d.name), [...rel, d.name]]);
        else if (d.isFile() && d.name.endsWith('.md')) {
          const st = await lstatOrNull(join(abs, d.name));
          // A file with another hard link may be a planted alias of a file elsewhere.
          if (st?.isFile() && st.nlink === 1) await visit([...rel, d.name].join('/'), join(abs, d.name));
        }
      }
    }
  }
  const tooMany = () => new NoteError('NOTE_TOO_MANY_RESULTS', `more than ${limits.maxResults} results; narrow the folder or query`);

  async function readFile(file: string): Promise<string> {
    const handle = await safeOpen(file, READ_FLAGS);
    try {
      const st = await handle.stat();
      checkSize(st.size);
      return (await handle.readFile()).toString('utf8');
    } finally {
      await handle.close();
    }
  }

  async function countFamiliarNotes(familiarId: string): Promise<number> {
    const base = await safeDir(root, [checkFamiliarId(familiarId)], false).catch(() => null);
    if (base === null) return 0;
    let files = 0;
    const stack = [base];
    while (stack.length) {
      const dir = stack.pop()!;
      for (const d of await readdir(dir, { withFileTypes: true })) {
        if (d.isSymbolicLink() || d.name.startsWith('.')) continue;
        if (d.isDirectory()) stack.push(join(dir, d.name));
        else if (d.isFile() && d.name.endsWith('.md')) files++;
      }
    }
    return files;
  }

  return {
    async list(scope, dir) {
      const out: NoteEntry[] = [];
      await walk(scope, dir, async (rel, abs) => {
        if (out.length >= limits.maxResults) throw tooMany();
        out.push(await entry(rel, abs));
      });
      return out.sort((a, b) => a.path.localeCompare(b.path));
    },
    async read(scope, path) {
      const { file } = await locate(scope, path, false);
      return readFile(file);
    },
    async search(scope, query) {
      const needle = query.trim().toLowerCase();
      if (!needle) throw new NoteError('NOTE_PATH_REJECTED', 'empty query');
      const out: NoteMatch[] = [];
      await walk(scope, undefined, async (rel, abs) => {
        let text: string;
        try {
          text = await readFile(abs);
        } catch (e) {
          if (e instanceof NoteError) return; // links and oversized files are skipped, never followed
          throw e;
        }
        text.split('\n').forEach((line, i) => {
          if (!line.toLowerCase().includes(needle)) return;
          if (out.length >= limits.maxResults) throw tooMany();
          out.push({ path: rel, line: i + 1, text: line.slice(0, 500) });
        });
      });
      return out;
    },
    async write(scope, path, content, by) {
      const bytes = Buffer.byteLength(content, 'utf8');
      return audited(scope, 'note.write', path, by, bytes, async () => {
        checkSize(bytes);
        const { dir, file, rel } = await locate(scope, path, true);
        const existing = await lstatOrNull(file);
        if (existing && (existing.isSymbolicLink() || !existing.isFile() || existing.nlink !== 1))
          throw new NoteError('NOTE_LINK_REJECTED', 'note is a link');
        await ensureRoom(dir, file);
        const temp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
        const handle = await safeOpen(temp, O_WRONLY | O_CREAT | O_EXCL);
        try {
          await handle.writeFile(content, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        try {
          await rename(temp, file);
        } catch (e) {
          await unlink(temp).catch(() => undefined);
          throw e;
        }
        return entry(rel, file);
      });
    },
    async append(scope, path, content, by) {
      const bytes = Buffer.byteLength(content, 'utf8');
      return audited(scope, 'note.append', path, by, bytes, async () => {
        const { dir, file, rel } = await locate(scope, path, true);
        await ensureRoom(dir, file);
        const handle = await safeOpen(file, O_WRONLY | O_APPEND | O_CREAT);
        try {
          checkSize((await handle.stat()).size + bytes);
          await handle.appendFile(content, 'utf8');
          await handle.sync();
        } finally {
          await handle.close();
        }
        return entry(rel, file);
      });
    },
    async delete(scope, path, by) {
      await audited(scope, 'note.delete', path, by, 0, async () => {
        const { file } = await locate(scope, path, false);
        const st = await lstatOrNull(file);
        if (st === null) throw new NoteError('NOTE_NOT_FOUND', 'note not found');
        if (!st.isFile() || st.isSymbolicLink()) throw new NoteError('NOTE_LINK_REJECTED', 'not a regular note');
        await unlink(file);
      });
    },
    countFamiliar: countFamiliarNotes,
    async eraseFamiliar(familiarId) {
      const files = await countFamiliarNotes(familiarId);
      const target = join(root, checkFamiliarId(familiarId));
      // rm does not follow symlinks: a link planted here is removed, never its target.
      if ((await lstatOrNull(target)) !== null) await rm(target, { recursive: true, force: true });
      return files;
    },
    async reassignPerson(from, to) {
      checkFamiliarId(from);
      checkFamiliarId(to);
      await mkdir(root, { recursive: true, mode: 0o700 });
      let moved = 0;
      for (const d of await readdir(root, { withFileTypes: true })) {
        if (!d.isDirectory() || d.isSymbolicLink()) continue;
        const people = await safeDir(root, [d.name, 'people'], false).catch(() => null);
        if (people === null) continue;
        const source = join(people, from);
        const st = await lstatOrNull(source);
        if (st === null) continue;
        // A link planted in place of the folder holds nothing of the person: removed, never followed.
        if (!st.isDirectory()) {
          await rm(source, { force: true });
          continue;
        }
        const target = await safeDir(people, [to], true);
        if (target === null) throw new NoteError('NOTE_PATH_REJECTED', 'notes folder is not a directory');
        const entries = await readdir(target);
        if (entries.length === 0) {
          await rm(target, { recursive: true, force: true });
          await rename(source, target);
        } else {
          let name = `merged-${from}`;
          for (let n = 2; entries.includes(name); n++) name = `merged-${from}-${n}`;
          await rename(source, join(target, name));
        }
        moved++;
      }
      return moved;
    },
    async erasePerson(userId) {
      checkFamiliarId(userId);
      await mkdir(root, { recursive: true, mode: 0o700 });
      let removed = 0;
      for (const d of await readdir(root, { withFileTypes: true })) {
        if (!d.isDirectory() || d.isSymbolicLink()) continue;
        const people = await safeDir(root, [d.name, 'people'], false).catch(() => null);
        if (people === null) continue;
        const target = join(people, userId);
        const st = await lstatOrNull(target);
        if (st === null) continue;
        // rm does not follow symlinks: a link planted here is removed, never its target.
        await rm(target, { recursive: true, force: true });
        removed++;
      }
      return removed;
    },
  };
}
