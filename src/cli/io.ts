import type { Readable, Writable } from 'node:stream';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { createHearth, type Hearth } from '../app/index.js';
import { createLogger, type Logger } from '../logging/index.js';

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

/** Loads configuration or throws a CliError listing every problem (names only, never values). */
export function configFrom(io: CliIo): Config {
  try {
    return loadConfig(io.env, { cwd: io.cwd });
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

/** Logger for one-shot commands: warnings and errors only, to stderr. */
export function commandLogger(io: CliIo, config: Config): Logger {
  const level = config.HEARTH_LOG_LEVEL === 'debug' || config.HEARTH_LOG_LEVEL === 'trace' ? config.HEARTH_LOG_LEVEL : 'warn';
  return createLogger({ level, destination: { write: (s: string) => io.stderr.write(s) } });
}

/** Runs `fn` with an assembled Hearth and always closes it. */
export async function withHearth<T>(io: CliIo, fn: (hearth: Hearth) => Promise<T>, options: { migrate?: boolean } = {}): Promise<T> {
  const config = configFrom(io);
  const hearth = await createHearth({ config, logger: commandLogger(io, config), migrate: options.migrate ?? true });
  try {
    return await fn(hearth);
  } finally {
    await hearth.close();
  }
}

/** Reads all of stdin as UTF-8 (passwords, command lists). */
export async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8');
}

export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h');
}
