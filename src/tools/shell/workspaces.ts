import { realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isWithin, realPath } from '../../files/index.js';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../../config/index.js';

/** One host folder the operator lends to the sandbox, shown as `/work/NAME`. */
export interface Workspace {
  /** The folder name under the sandbox's work dir. */
  readonly name: string;
  /** Real path on the host (symlinks resolved at configuration). */
  readonly hostPath: string;
  readonly writable: boolean;
  /** Familiar slug or id this workspace belongs to; undefined = every familiar with the shell. */
  readonly familiar?: string;
}

const VARIABLE = 'HEARTH_SHELL_WORKSPACES';
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** Hearth's own files: the installation (src, dist, node_modules, package.json) this module belongs to. */
const INSTALL_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));

/**
 * Parses `[familiar/]NAME=/host/path[:ro|:rw]` entries (comma-separated). Refused at start, with
 * the reason: a bad name, a relative or missing path, `/`, and any folder that is, holds or lies in
 * the data directory, the master key file or Hearth's installation (a bind of a parent would show it).
 */
export function parseWorkspaces(text: string, protect: { dataDir: string; extra?: readonly string[] }): Workspace[] {
  const closed = [protect.dataDir, INSTALL_ROOT, ...(protect.extra ?? [])].map((p) => realPath(p));
  const issues: string[] = [];
  const out: Workspace[] = [];
  const names = new Set<string>();
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq < 0) {
      issues.push(`entry ${out.length + issues.length + 1} must look like NAME=/host/path[:ro|:rw]`);
      continue;
    }
    const left = entry.slice(0, eq);
    const slash = left.indexOf('/');
    const familiar = slash >= 0 ? left.slice(0, slash) : undefined;
    const name = slash >= 0 ? left.slice(slash + 1) : left;
    let path = entry.slice(eq + 1);
    let writable = false;
    const mode = /:(ro|rw)$/.exec(path);
    if (mode) {
      writable = mode[1] === 'rw';
      path = path.slice(0, -3);
    }
    const refuse = (why: string) => issues.push(`workspace "${name}" ${why}`);
    if (!NAME.test(name)) {
      refuse('needs a folder name of letters, digits, ".", "_" or "-" (at most 64)');
      continue;
    }
    if (familiar !== undefined && !NAME.test(familiar)) {
      refuse('names its familiar with characters a slug or id cannot have');
      continue;
    }
    const key = `${familiar ?? '*'}/${name}`;
    if (names.has(key)) {
      refuse('is named twice');
      continue;
    }
    names.add(key);
    if (!isAbsolute(path)) {
      refuse('must be an absolute host path');
      continue;
    }
    let target: string;
    try {
      target = realpathSync(path);
      if (!statSync(target).isDirectory()) throw new Error('not a folder');
    } catch {
      refuse('is not an existing folder');
      continue;
    }
    if (target === '/') {
      refuse('would show the whole filesystem');
      continue;
    }
    if (closed.some((c) => isWithin(target, c) || isWithin(c, target))) {
      refuse("would show Hearth's data directory, master key or its own files");
      continue;
    }
    out.push({ name, hostPath: target, writable, ...(familiar !== undefined ? { familiar } : {}) });
  }
  if (issues.length > 0) throw new ConfigError(issues.map((message) => ({ name: VARIABLE, message })));
  return out;
}

/**
 * Files Hearth read secrets from (`HEARTH_*_FILE`, e.g. a master key in /run/secrets): no workspace
 * or MCP path may show them, wherever they are.
 */
export function secretFilePaths(env: NodeJS.ProcessEnv = process.env): string[] {
  return Object.entries(env)
    .filter(([k, v]) => /^HEARTH_[A-Z0-9_]+_FILE$/.test(k) && typeof v === 'string' && isAbsolute(v))
    .map(([, v]) => v!);
}

/** Who the sandbox runs as: nobody (65534) when Hearth is root, else Hearth's own user (bubblewrap checks paths as it). */
export function sandboxUser(): { uid: number; gid: number; groups: readonly number[] } {
  if (process.getuid?.() === 0) return { uid: 65534, gid: 65534, groups: [] };
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, groups: process.getgroups?.() ?? [] };
}

/**
 * Whether `user` can reach a folder (search every parent) and read it, or also write it: by the
 * mode bits, as bubblewrap will when it binds the path as that user. Null when it can, else the
 * first folder in the way.
 */
export function unreachableFor(path: string, writable: boolean, user = sandboxUser()): string | null {
  const allows = (p: string, bits: number) => {
    const st = statSync(p);
    const shift = st.uid === user.uid ? 6 : st.gid === user.gid || user.groups.includes(st.gid) ? 3 : 0;
    return ((st.mode >> shift) & 7 & bits) === bits;
  };
  if (user.uid === 0) return null;
  const chain: string[] = [];
  for (let p = dirname(path); ; p = dirname(p)) {
    chain.unshift(p);
    if (p === dirname(p)) break;
  }
  for (const p of chain) if (!allows(p, 1)) return p;
  return allows(path, writable ? 7 : 5) ? null : path;
}

/** A workspace as the dashboard sets it for one familiar: a folder under the workspace root. */
export interface WorkspaceEntry {
  readonly name: string;
  /** Relative to the workspace root, or absolute inside it. */
  readonly path: string;
  readonly writable?: boolean | undefined;
}

/** A dashboard workspace refused, with the reason (400 `WORKSPACE_REFUSED`). */
export class WorkspaceRefusedError extends Error {
  readonly code = 'WORKSPACE_REFUSED';
}

/**
 * Checks the workspaces an admin sets for one familiar in the dashboard (EXEC-1). Unlike the
 * operator's HEARTH_SHELL_WORKSPACES, each must lie inside the workspace root
 * (HEARTH_SHELL_WORKSPACE_ROOT, by default `workspaces` in the data directory): no `..`, no NUL, and
 * its real path (symlinks resolved) still inside the root's real path. The root itself may not be
 * `/`, the data directory or hold it, nor hold or lie in Hearth's installation, the master key or
 * the other protected paths. Checked when saved and again before every run (a folder swapped for a
 * symlink afterwards is refused then). Answers the folders with their real paths.
 */
export function checkRootedWorkspaces(
  entries: readonly WorkspaceEntry[],
  protect: { root: string; dataDir: string; extra?: readonly string[]; user?: ReturnType<typeof sandboxUser> },
): Workspace[] {
  const refuse = (why: string) => new WorkspaceRefusedError(why);
  if (entries.length === 0) return [];
  let root: string;
  try {
    root = realpathSync(protect.root);
    if (!statSync(root).isDirectory()) throw new Error('not a folder');
  } catch {
    throw refuse(`the workspace root ${protect.root} is not an existing folder; create it or set HEARTH_SHELL_WORKSPACE_ROOT`);
  }
  const dataDir = realPath(protect.dataDir);
  const closed = [INSTALL_ROOT, ...(protect.extra ?? [])].map((p) => realPath(p));
  if (root === '/' || isWithin(dataDir, root) || closed.some((c) => isWithin(root, c) || isWithin(c, root)))
    throw refuse(
      "the workspace root would show Hearth's data directory, master key or its own files; set HEARTH_SHELL_WORKSPACE_ROOT elsewhere",
    );
  const names = new Set<string>();
  return entries.map((entry, i) => {
    const label = `workspaces[${i}]`;
    if (!NAME.test(entry.name)) throw refuse(`${label} needs a folder name of letters, digits, ".", "_" or "-" (at most 64)`);
    if (names.has(entry.name)) throw refuse(`${label}: the name "${entry.name}" is used twice`);
    names.add(entry.name);
    const path = entry.path;
    if (path.length === 0 || path.length > 1024 || path.includes('\0')) throw refuse(`${label} needs a folder path`);
    if (path.split('/').includes('..')) throw refuse(`${label} may not use ".." (a folder inside the workspace root)`);
    const full = isAbsolute(path) ? resolve(path) : resolve(protect.root, path);
    let target: string;
    try {
      target = realpathSync(full);
      if (!statSync(target).isDirectory()) throw new Error('not a folder');
    } catch {
      throw refuse(`${label} (${path}) is not an existing folder inside the workspace root`);
    }
    if (!isWithin(target, root))
      throw refuse(`${label} (${path}) leads outside the workspace root (through a symbolic link or an absolute path)`);
    if (closed.some((c) => isWithin(c, target)) || isWithin(dataDir, target))
      throw refuse(`${label} (${path}) would show Hearth's data directory, master key or its own files`);
    const user = protect.user ?? sandboxUser();
    const blocked = unreachableFor(target, entry.writable === true, user);
    if (blocked !== null)
      throw refuse(
        `${label} (${path}): the sandbox's user (uid ${user.uid}) cannot ${blocked === target ? (entry.writable ? 'read and write' : 'read') : 'pass through'} ${blocked}; ` +
          (blocked === target
            ? 'change its mode or owner'
            : 'choose HEARTH_SHELL_WORKSPACE_ROOT where it can (chmod o+x on the folders above)'),
      );
    return { name: entry.name, hostPath: target, writable: entry.writable === true };
  });
}

/** The workspaces one familiar gets: those for every familiar, and its own (by slug or id) in their place. */
export function workspacesFor(all: readonly Workspace[], familiar: { id: string; slug?: string | undefined }): Workspace[] {
  const own = all.filter((w) => w.familiar !== undefined && (w.familiar === familiar.id || w.familiar === familiar.slug));
  const ownNames = new Set(own.map((w) => w.name));
  return [...all.filter((w) => w.familiar === undefined && !ownNames.has(w.name)), ...own];
}
