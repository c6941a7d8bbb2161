import { CliError, EXIT, println, wantsHelp, type CliIo } from './basics.js';
import { commands, type CommandEntry } from './commands/index.js';

function overview(list: readonly CommandEntry[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return `Usage: hearth <command> [options]\n\nCommands:\n${list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}\n\nRun \`hearth <command> --help\` for details.`;
}

/** Log-safe text of an untrusted string (redaction lives with the logger, which loads only here). */
async function sanitized(text: string, maxString: number): Promise<string> {
  const { sanitizeLogString } = await import('../logging/index.js');
  return sanitizeLogString(text, { maxString });
}

/**
 * Runs one CLI invocation and returns its exit code; never prints a stack trace. Only the named
 * command's module loads (see commands/index.ts): `hearth --help` imports nothing else.
 */
export async function runCli(argv: readonly string[], io: CliIo, list: readonly CommandEntry[] = commands): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    println(name ? io.stdout : io.stderr, overview(list));
    return name ? EXIT.ok : EXIT.usage;
  }
  const entry = list.find((c) => c.name === name);
  if (!entry) {
    println(io.stderr, `hearth: unknown command '${await sanitized(name, 40)}' (see hearth --help)`);
    return EXIT.usage;
  }
  try {
    const command = await entry.load();
    if (wantsHelp(args)) {
      println(io.stdout, command.usage);
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof CliError) {
      println(io.stderr, `hearth ${entry.name}: ${err.message}`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    println(io.stderr, `hearth ${entry.name}: ${await sanitized(message, 300)}`);
    return EXIT.failure;
  }
}
