import { spawn } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { isWithin } from '../../files/index.js';
import {
  FORWARDER_SCRIPT,
  proxyEnv,
  SANDBOX_PROXY_DIR,
  SANDBOX_PROXY_PORT,
  startEgressProxy,
  type Destination,
  type EgressEvent,
} from './network.js';
import { sandboxUser, unreachableFor, type Workspace } from './workspaces.js';

/** Limits and locations for one sandboxed run. */
export interface SandboxOptions {
  /** Path of bubblewrap; the shell refuses to run when it is missing. */
  readonly bwrapPath: string;
  readonly timeoutMs: number;
  /** Bytes of stdout+stderr kept; the run is killed when exceeded. */
  readonly outputLimit: number;
  /** Kernel limits inside the sandbox, so a command the policy let through still cannot hurt the host. */
  readonly limits?: Partial<SandboxLimits>;
  /** Path of prlimit (util-linux), which sets the limits inside the sandbox; required like bwrap. */
  readonly prlimitPath?: string;
  /** User id to run as when Hearth itself runs as root (default: nobody, 65534). */
  readonly uid?: number;
  readonly gid?: number;
}

interface SandboxResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly output: string;
  readonly truncated: boolean;
  readonly timedOut: boolean;
}

/** Limits applied inside the sandbox's own user namespace (rlimits) and to its memory-backed folders. */
export interface SandboxLimits {
  /** Processes at once (RLIMIT_NPROC, counted in the sandbox's own user namespace): a flood stops here. */
  readonly processes: number;
  /** CPU seconds per process (RLIMIT_CPU). */
  readonly cpuSeconds: number;
  /** Largest file written (RLIMIT_FSIZE). */
  readonly fileBytes: number;
  /** Size of the work dir and of /tmp, each a tmpfs (disk use). */
  readonly diskBytes: number;
  /** Open files per process (RLIMIT_NOFILE). */
  readonly openFiles: number;
}

const DEFAULT_LIMITS: SandboxLimits = {
  processes: 64,
  cpuSeconds: 30,
  fileBytes: 64 * 1024 * 1024,
  diskBytes: 128 * 1024 * 1024,
  openFiles: 1024,
};

export class SandboxUnavailableError extends Error {
  readonly code = 'SANDBOX_UNAVAILABLE';
}

/** The runner the shell tool calls; nothing runs outside it. */
export interface Sandbox {
  /** Null when bubblewrap can run; otherwise the reason shown to the owner and the model. */
  unavailableReason(): string | null;
  /**
   * Runs one command; `workspaces` are the operator's host folders for this familiar, `network` its
   * allowlisted destinations (none: no network at all).
   */
  run(command: string, signal?: AbortSignal, workspaces?: readonly Workspace[], network?: SandboxNetwork): Promise<SandboxResult>;
}

/** The destinations one run may reach through Hearth's egress proxy, and who hears of each attempt. */
interface SandboxNetwork {
  readonly destinations: readonly Destination[];
  readonly onEvent?: (event: EgressEvent) => void;
}

/** The only variables a sandboxed command sees (everything else, secrets included, is dropped). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/work',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
};

/** What another caller adds to the same sandbox: MCP stdio servers (src/tools/mcp, EXEC-2). */
export interface SandboxExtras {
  /** bubblewrap options placed before the root is made read-only (extra read-only binds, --share-net). */
  readonly options?: readonly string[];
  /** The program and its arguments, instead of `/bin/sh -c command`. */
  readonly argv?: readonly string[];
  /** Variables set after SANDBOX_ENV; they become bwrap arguments, so secrets must reach bwrap through `--args FD`. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The folder a sandboxed command starts in; workspaces appear as folders under it. */
export const SANDBOX_WORK_DIR = '/work';

/** What the shell adds: kernel limits set inside the sandbox, and the operator's workspaces. */
export interface SandboxInside {
  readonly limits: SandboxLimits;
  /** prlimit's path; it runs first inside the new user namespace, so RLIMIT_NPROC counts only the sandbox's processes. */
  readonly prlimit: string;
  readonly workspaces?: readonly Workspace[];
  /** The egress proxy of this run: its host folder (bound read-only) and socket name; absent, no network at all. */
  readonly egress?: { readonly dir: string; readonly socketName: string; readonly node: string };
}

/**
 * bubblewrap arguments: no network, read-only system, private /tmp and work dir, new session,
 * empty environment. `workDir` is a host folder bound at /work, or null for a memory-backed one of
 * `inside.limits.diskBytes` (the shell's); `extras` are the MCP servers' additions.
 */
export function bwrapArgs(workDir: string | null, command: string, extras: SandboxExtras = {}, inside?: SandboxInside): string[] {
  const args = ['--unshare-all', '--die-with-parent', '--new-session', '--cap-drop', 'ALL'];
  args.push('--ro-bind', '/usr', '/usr');
  for (const dir of ['bin', 'lib', 'lib64', 'sbin', 'lib32']) args.push('--symlink', `usr/${dir}`, `/${dir}`);
  for (const file of [
    '/etc/alternatives',
    '/etc/ld.so.cache',
    '/etc/ld.so.conf',
    '/etc/ld.so.conf.d',
    '/etc/passwd',
    '/etc/group',
    '/etc/nsswitch.conf',
    '/etc/localtime',
    '/etc/ssl',
    '/etc/ca-certificates',
    '/etc/gitconfig',
  ]) {
    args.push('--ro-bind-try', file, file);
  }
  const size = inside ? ['--size', String(inside.limits.diskBytes)] : [];
  args.push('--proc', '/proc', '--dev', '/dev', ...size, '--tmpfs', '/tmp');
  if (workDir === null) args.push(...size, '--tmpfs', SANDBOX_WORK_DIR);
  else args.push('--bind', workDir, SANDBOX_WORK_DIR);
  for (const w of inside?.workspaces ?? []) args.push(w.writable ? '--bind' : '--ro-bind', w.hostPath, `${SANDBOX_WORK_DIR}/${w.name}`);
  args.push('--chdir', SANDBOX_WORK_DIR);
  const egress = inside?.egress;
  if (egress) {
    // still --unshare-net: the only way out is the proxy's socket, through the forwarder on the sandbox's loopback
    args.push('--ro-bind', egress.dir, SANDBOX_PROXY_DIR);
    if (!isWithin(egress.node, '/usr')) args.push('--ro-bind', egress.node, egress.node);
  }
  args.push(...(extras.options ?? []));
  args.push('--remount-ro', '/');
  args.push('--clearenv');
  const env = { ...SANDBOX_ENV, ...(egress ? proxyEnv() : {}), ...extras.env };
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  args.push('--');
  if (inside) {
    const l = inside.limits;
    args.push(inside.prlimit, `--nproc=${l.processes}`, `--cpu=${l.cpuSeconds}`, `--fsize=${l.fileBytes}`, `--nofile=${l.openFiles}`);
    args.push('--core=0', '--');
  }
  if (egress) {
    // one V8 worker thread: the forwarder's threads count against the sandbox's process limit
    args.push(
      egress.node,
      '--v8-pool-size=1',
      '-e',
      FORWARDER_SCRIPT,
      `${SANDBOX_PROXY_DIR}/${egress.socketName}`,
      String(SANDBOX_PROXY_PORT),
    );
  }
  args.push(...(extras.argv ?? ['/bin/sh', '-c', command]));
  return args;
}

/**
 * Builds the bubblewrap runner (EXEC-1): non-root uid, empty environment, kernel limits inside,
 * timeout then SIGKILL of the whole process group, output cap.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const asRoot = process.getuid?.() === 0;
  const uid = options.uid ?? 65534;
  const gid = options.gid ?? 65534;
  const prlimit = options.prlimitPath ?? '/usr/bin/prlimit';
  const limits: SandboxLimits = {
    ...DEFAULT_LIMITS,
    cpuSeconds: Math.max(1, Math.ceil(options.timeoutMs / 1000)),
    ...options.limits,
  };
  const unavailableReason = (): string | null => {
    try {
      accessSync(options.bwrapPath, constants.X_OK);
    } catch {
      return `bubblewrap is not installed at ${options.bwrapPath}; install the Debian package "bubblewrap" or set HEARTH_SHELL_BWRAP`;
    }
    try {
      accessSync(prlimit, constants.X_OK);
      return null;
    } catch {
      return `prlimit is not installed at ${prlimit}; install the Debian package "util-linux"`;
    }
  };
  return {
    unavailableReason,
    async run(command, signal, workspaces = [], network) {
      const reason = unavailableReason();
      if (reason) throw new SandboxUnavailableError(reason);
      const ids = asRoot ? { uid, gid } : {};
      const inside: SandboxInside = { limits, prlimit, workspaces };
      if (!network || network.destinations.length === 0) return execute(options, bwrapArgs(null, command, {}, inside), ids, signal);
      const node = realpathSync(process.execPath);
      const blocked = unreachableFor(node, false, asRoot ? { uid, gid, groups: [] } : sandboxUser());
      if (blocked !== null)
        throw new SandboxUnavailableError(
          `the sandbox's user cannot run Node (${node}), which carries its network: ${blocked} is closed to it`,
        );
      // the proxy lives exactly as long as this run
      const proxy = await startEgressProxy({
        destinations: network.destinations,
        ...(network.onEvent ? { onEvent: network.onEvent } : {}),
      });
      try {
        const egress = { dir: proxy.dir, socketName: proxy.socketName, node };
        return await execute(options, bwrapArgs(null, command, {}, { ...inside, egress }), ids, signal);
      } finally {
        await proxy.close();
      }
    },
  };
}

function execute(
  options: SandboxOptions,
  args: string[],
  ids: { uid?: number; gid?: number },
  signal?: AbortSignal,
): Promise<SandboxResult> {
  return new Promise((resolve) => {
    const child = spawn(options.bwrapPath, args, {
      ...ids,
      env: {},
      cwd: '/',
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let size = 0;
    let truncated = false;
    let timedOut = false;
    const killGroup = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    };
    const onData = (chunk: Buffer) => {
      if (truncated) return;
      const room = options.outputLimit - size;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, Math.max(0, room)));
        size = options.outputLimit;
        truncated = true;
        killGroup();
        return;
      }
      chunks.push(chunk);
      size += chunk.length;
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
    }, options.timeoutMs);
    const onAbort = () => {
      timedOut = true;
      killGroup();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', () => undefined);
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      killGroup();
      resolve({ exitCode: code, signal: sig, output: Buffer.concat(chunks).toString('utf8'), truncated, timedOut });
    });
  });
}
