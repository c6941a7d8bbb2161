import type { Hearth } from '../app/index.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { HearthError, type HearthPlugin } from '../core/index.js';
import { createLogger, type Logger } from '../logging/index.js';
import { CliError, EXIT, type CliIo } from './basics.js';

// The helpers of commands that read the configuration or open Hearth. The application itself
// (every concern, Fastify, the database drivers) loads only inside withHearth.
export { CliError, EXIT, println, type CliIo, type Command } from './basics.js';

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

/**
 * Runs `fn` with an assembled Hearth and always closes it. `only`: Hearth with just the kernel and
 * these plugins, for a command that needs no more (it loads and opens a fraction of the server). It
 * applies no migration, so it opens only a database whose migrations, the kernel's and these
 * plugins', are all applied; otherwise (a new or upgraded database) the whole Hearth opens and
 * migrates as without it.
 */
export async function withHearth<T>(
  io: CliIo,
  fn: (hearth: Hearth) => Promise<T>,
  options: { migrate?: boolean; env?: Record<string, string>; only?: () => Promise<readonly HearthPlugin[]> } = {},
): Promise<T> {
  const config = configFrom(options.env ? { ...io, env: { ...io.env, ...options.env } } : io);
  const logger = commandLogger(io, config);
  // hearth.ts rather than the index, which imports every plugin.
  const { createHearth } = await import('../app/hearth.js');
  let hearth: Hearth | undefined;
  if (options.only)
    hearth = await createHearth({ config, logger, plugins: await options.only(), migrate: 'verify' }).catch((err: unknown) => {
      if (err instanceof HearthError && err.code === 'HEARTH_NOT_MIGRATED') return undefined;
      throw err;
    });
  hearth ??= await createHearth({ config, logger, migrate: options.migrate ?? true });
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
