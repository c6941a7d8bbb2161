import type { Readable, Writable } from 'node:stream';

// What the dispatcher (main.ts) and every command share. It imports nothing, so `hearth --help`
// and an unknown command cost no more than this file and the registry.

export interface CliIo {
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly stdin: Readable;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Full help text, shown by `hearth NAME --help`. */
  readonly usage: string;
  run(args: string[], io: CliIo): Promise<number>;
}

/** A failure whose message is a complete, one-line explanation for the operator. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

export function println(stream: Writable, line = ''): void {
  stream.write(`${line}\n`);
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
