import { commands } from './commands/index.js';
import { CliError, EXIT, println, wantsHelp, type CliIo, type Command } from './io.js';
import { sanitizeLogString } from '../logging/index.js';

function overview(list: readonly Command[]): string {
  const width = Math.max(...list.map((c) => c.name.length));
  return `Usage: hearth <command> [options]\n\nCommands:\n${list.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}\n\nRun \`hearth <command> --help\` for details.`;
}

/** Runs one CLI invocation and returns its exit code; never prints a stack trace. */
export async function runCli(argv: readonly string[], io: CliIo, list: readonly Command[] = commands): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    println(name ? io.stdout : io.stderr, overview(list));
    return name ? EXIT.ok : EXIT.usage;
  }
  const command = list.find((c) => c.name === name);
  if (!command) {
    println(io.stderr, `hearth: unknown command '${sanitizeLogString(name, { maxString: 40 })}' (see hearth --help)`);
    return EXIT.usage;
  }
  if (wantsHelp(args)) {
    println(io.stdout, command.usage);
    return EXIT.ok;
  }
  try {
    return await command.run(args, io);
  } catch (err) {
    if (err instanceof CliError) {
      println(io.stderr, `hearth ${command.name}: ${err.message}`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    println(io.stderr, `hearth ${command.name}: ${sanitizeLogString(message, { maxString: 300 })}`);
    return EXIT.failure;
  }
}
