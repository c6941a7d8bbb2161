import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
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

/** The workspaces one familiar gets: those for every familiar, and its own (by slug or id) in their place. */
export function workspacesFor(all: readonly Workspace[], familiar: { id: string; slug?: string | undefined }): Workspace[] {
  const own = all.filter((w) => w.familiar !== undefined && (w.familiar === familiar.id || w.familiar === familiar.slug));
  const ownNames = new Set(own.map((w) => w.name));
  return [...all.filter((w) => w.familiar === undefined && !ownNames.has(w.name)), ...own];
}
