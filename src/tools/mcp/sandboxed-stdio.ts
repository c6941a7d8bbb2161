import { spawn, type ChildProcess } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** How to start bubblewrap for one server; its options (secrets among them) go through a pipe, never argv. */
export interface SandboxedProcess {
  readonly bwrapPath: string;
  /** bubblewrap options, secrets among them: written to fd 3. */
  readonly options: readonly string[];
  /** `--` and the program with its arguments: bubblewrap's argv. */
  readonly program: readonly string[];
  readonly uid?: number | undefined;
  readonly gid?: number | undefined;
  /** Runs once when the process is gone (the server's egress proxy closes). */
  readonly cleanup?: (() => Promise<void>) | undefined;
}

/**
 * The MCP stdio transport over a sandboxed process (EXEC-2). The SDK's own transport passes
 * Hearth's HOME, USER and PATH and cannot drop to another user; this one starts bubblewrap with an
 * empty environment and its arguments on fd 3 (`--args 3`), so the server's sealed variables never
 * show in any process's command line, and kills the whole sandbox on close.
 */
export class SandboxedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private child: ChildProcess | undefined;
  private readonly buffer = new ReadBuffer();

  constructor(private readonly spec: SandboxedProcess) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const { uid, gid, options, program } = this.spec;
      // bubblewrap reads its options (the --setenv of secrets among them) from fd 3; the program stays on argv
      const child = spawn(this.spec.bwrapPath, ['--args', '3', ...program], {
        env: {},
        cwd: '/',
        detached: true,
        stdio: ['pipe', 'pipe', 'ignore', 'pipe'],
        ...(uid !== undefined ? { uid } : {}),
        ...(gid !== undefined ? { gid } : {}),
      });
      this.child = child;
      const argsPipe = child.stdio[3] as NodeJS.WritableStream | null;
      argsPipe?.on('error', () => undefined);
      argsPipe?.end(Buffer.from(options.map((a) => `${a}\0`).join(''), 'utf8'));
      child.on('error', (err) => {
        void this.release();
        reject(err);
        this.onerror?.(err);
      });
      child.on('spawn', () => resolve());
      child.on('close', () => {
        this.child = undefined;
        void this.release();
        this.onclose?.();
      });
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
          for (let m = this.buffer.readMessage(); m !== null; m = this.buffer.readMessage()) this.onmessage?.(m);
        } catch (err) {
          this.onerror?.(err instanceof Error ? err : new Error(String(err)));
        }
      });
    });
  }

  private released = false;
  private async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.spec.cleanup?.().catch(() => undefined);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      const stdin = this.child?.stdin;
      if (!stdin) return reject(new Error('Not connected'));
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    this.buffer.clear();
    if (!child) return this.release();
    const gone = new Promise<void>((r) => child.once('close', () => r()));
    try {
      child.stdin?.end();
      // bubblewrap leads its process group; the sandbox's pid namespace dies with it (--die-with-parent)
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await gone;
    await this.release();
  }
}
