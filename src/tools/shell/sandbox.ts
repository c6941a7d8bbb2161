import { spawn } from 'node:child_process';
import { accessSync, chmodSync, chownSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Limits and locations for one sandboxed run. */
export interface SandboxOptions {
  /** Path of bubblewrap; the shell refuses to run when it is missing. */
  readonly bwrapPath: string;
  readonly timeoutMs: number;
  /** Bytes of stdout+stderr kept; the run is killed when exceeded. */
  readonly outputLimit: number;
  /** Parent for the per-run work directory (never inside the data directory). */
  readonly workRoot?: string;
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

export class SandboxUnavailableError extends Error {
  readonly code = 'SANDBOX_UNAVAILABLE';
}

/** The runner the shell tool calls; nothing runs outside it. */
export interface Sandbox {
  /** Null when bubblewrap can run; otherwise the reason shown to the owner and the model. */
  unavailableReason(): string | null;
  run(command: string, signal?: AbortSignal): Promise<SandboxResult>;
}

/** The only variables a sandboxed command sees (everything else, secrets included, is dropped). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  HOME: '/work',
  TMPDIR: '/tmp',
  LANG: 'C.UTF-8',
  TERM: 'dumb',
};

/** bubblewrap arguments: no network, read-only system, private /tmp and work dir, new session. */
function bwrapArgs(workDir: string, command: string): string[] {
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
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--bind', workDir, '/work', '--chdir', '/work');
  args.push('--remount-ro', '/');
  args.push('--clearenv');
  for (const [k, v] of Object.entries(SANDBOX_ENV)) args.push('--setenv', k, v);
  args.push('--', '/bin/sh', '-c', command);
  return args;
}

/**
 * Builds the bubblewrap runner (EXEC-1): a fresh work dir per run, non-root uid, empty
 * environment, timeout then SIGKILL of the whole process group, output cap.
 */
export function createSandbox(options: SandboxOptions): Sandbox {
  const asRoot = process.getuid?.() === 0;
  const uid = options.uid ?? 65534;
  const gid = options.gid ?? 65534;
  const unavailableReason = (): string | null => {
    try {
      accessSync(options.bwrapPath, constants.X_OK);
      return null;
    } catch {
      return `bubblewrap is not installed at ${options.bwrapPath}; install the Debian package "bubblewrap" or set HEARTH_SHELL_BWRAP`;
    }
  };
  return {
    unavailableReason,
    async run(command, signal) {
      const reason = unavailableReason();
      if (reason) throw new SandboxUnavailableError(reason);
      const workDir = mkdtempSync(join(options.workRoot ?? tmpdir(), 'hearth-shell-'));
      if (asRoot) chownSync(workDir, uid, gid);
      chmodSync(workDir, 0o700);
      try {
        return await execute(options, workDir, command, asRoot ? { uid, gid } : {}, signal);
      } finally {
        rmSync(workDir, { recursive: true, force: true });
      }
    },
  };
}

function execute(
  options: SandboxOptions,
  workDir: string,
  command: string,
  ids: { uid?: number; gid?: number },
  signal?: AbortSignal,
): Promise<SandboxResult> {
  return new Promise((resolve) => {
    const child = spawn(options.bwrapPath, bwrapArgs(workDir, command), {
      ...ids,
      env: {},
      cwd: workDir,
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
