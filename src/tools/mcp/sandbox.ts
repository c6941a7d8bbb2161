import { realpathSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { isWithin, realPath } from '../../files/index.js';
import type { Config } from '../../config/index.js';
import { defineErrorCodes } from '../../core/index.js';
import { bwrapArgs, type SandboxInside, type SandboxLimits } from '../shell/sandbox.js';
import { secretFilePaths } from '../shell/workspaces.js';
import type { McpServerConfig } from './store.js';

/** Reasons a stdio server's sandbox settings are refused (400 with `details.reason`). */
const mcpSandboxErrors = defineErrorCodes({ MCP_PATH_REFUSED: 'BAD_REQUEST' });

/** Where stdio servers run: the shell's bubblewrap sandbox (EXEC-1), per server (EXEC-2). */
export interface McpSandboxOptions {
  readonly bwrapPath: string;
  /** prlimit (util-linux), which sets the kernel limits inside the sandbox as for the shell. */
  readonly prlimitPath?: string;
  /** Paths no server may see, not even read-only: the data directory, the TLS key. */
  readonly forbidden: readonly string[];
  /** User to run as when Hearth runs as root (default nobody, 65534), as the shell does. */
  readonly uid?: number;
  readonly gid?: number;
}

/**
 * The shell's kernel limits, but for a process that lives as long as its connection: CPU time is
 * not capped (a long-lived server would die of it); processes, file size and disk are.
 */
const MCP_SANDBOX_LIMITS: SandboxLimits = {
  processes: 64,
  cpuSeconds: 7 * 24 * 3600,
  fileBytes: 64 * 1024 * 1024,
  diskBytes: 128 * 1024 * 1024,
  openFiles: 1024,
};

const DEFAULT_PRLIMIT = '/usr/bin/prlimit';

/**
 * What no stdio server may see, even read-only: the data directory (database, notes, key file), the
 * `.env` Hearth read its secrets from, the TLS key. Unlike the shell's writable workspaces, Hearth's
 * installation itself may be read (a server run from the same checkout's node_modules).
 */
export function mcpForbiddenPaths(config: Pick<Config, 'dataDir' | 'HEARTH_TLS_KEY_FILE'>, cwd = process.cwd()): string[] {
  return [
    config.dataDir,
    resolve(cwd, '.env'),
    ...(config.HEARTH_TLS_KEY_FILE ? [resolve(cwd, config.HEARTH_TLS_KEY_FILE)] : []),
    ...secretFilePaths(),
  ];
}

/**
 * The host paths a server may read, refused at configuration and again at start: each absolute
 * and existing, never `/`, and never the data directory, inside it or above it (a bind of a parent
 * would show it). Answers the paths as given (the server's command refers to them) with their real paths.
 */
export function checkReadPaths(paths: readonly string[], forbidden: readonly string[]): Array<{ path: string; real: string }> {
  const closed = forbidden.map((p) => realPath(p));
  return paths.map((path, i) => {
    const refuse = (why: string) => mcpSandboxErrors.create('MCP_PATH_REFUSED', `readPaths[${i}] ${why}`);
    if (!isAbsolute(path)) throw refuse('must be an absolute path');
    let target: string;
    try {
      target = realpathSync(path);
    } catch {
      throw refuse('does not exist');
    }
    if (target === '/') throw refuse('would show the whole filesystem');
    if (closed.some((f) => isWithin(target, f) || isWithin(f, target))) throw refuse("would show Hearth's data directory or keys");
    return { path: resolve(path), real: target };
  });
}

/**
 * The bubblewrap arguments for one server: the shell's sandbox (no network, read-only system,
 * private /tmp and /work, no capabilities, a cleared environment) plus read-only binds of the
 * server's paths and its command, the network only when the operator allowed it for this server,
 * and the server's own sealed variables. `options` carry those secrets: they go to bubblewrap
 * through `--args FD`, never argv; `program` (from `--` on) holds nothing sealed.
 */
export function sandboxedServerArgs(
  server: McpServerConfig,
  env: Readonly<Record<string, string>>,
  sandbox: Pick<McpSandboxOptions, 'forbidden' | 'prlimitPath'>,
  /** The egress proxy of this connection, when the server has a networkAllow list (and network off). */
  egress?: SandboxInside['egress'],
): { options: string[]; program: string[] } {
  const command = server.command ?? '';
  const paths = [...server.readPaths];
  // an absolute command outside the system tree is bound too (refused like any path if forbidden)
  if (isAbsolute(command) && !isWithin(realPath(command), '/usr')) paths.push(command);
  const binds = checkReadPaths(paths, sandbox.forbidden).flatMap((p) => ['--ro-bind', p.real, p.path]);
  const network = server.network
    ? ['--share-net', '--ro-bind-try', '/etc/resolv.conf', '/etc/resolv.conf', '--ro-bind-try', '/etc/hosts', '/etc/hosts']
    : [];
  // /work (the server's HOME) is memory-backed and private to this connection, as the shell's
  const args = bwrapArgs(
    null,
    '',
    { options: [...binds, ...network], argv: [command, ...server.args] },
    {
      limits: MCP_SANDBOX_LIMITS,
      prlimit: sandbox.prlimitPath ?? DEFAULT_PRLIMIT,
      ...(egress && !server.network ? { egress } : {}),
    },
  );
  // nothing before the separator is operator text that could itself be `--` (paths are absolute)
  const split = args.indexOf('--');
  const secrets = Object.entries(env).flatMap(([k, v]) => ['--setenv', k, v]);
  return { options: [...args.slice(0, split), ...secrets], program: args.slice(split) };
}
