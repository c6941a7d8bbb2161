import { createInterface } from 'node:readline';
import { createShellParser, createShellPolicy, parseAllowlist } from '../../tools/shell/index.js';
import { CliError, configFrom, EXIT, println, type Command } from '../io.js';

/** `hearth shell check`: classifies commands from stdin with the shell tool's own policy (EXEC-1). */
export const shellCommand: Command = {
  name: 'shell',
  summary: 'Check shell commands against the shell tool policy',
  usage: `Usage: hearth shell check [--allowlist LIST] [--explain]

  check        read commands from stdin, one per line; print "allow|ask|deny<TAB>command"
               for each, decided by the very policy the shell tool uses
  --allowlist  comma-separated allowlist (e.g. "git status*,ls,npm test") instead of
               HEARTH_SHELL_ALLOWLIST
  --explain    append a TAB and the reasons behind each verdict`,
  async run(args, io) {
    if (args[0] !== 'check') throw new CliError(`unknown shell subcommand: ${args[0] ?? '(none)'} (see hearth shell --help)`, EXIT.usage);
    let allowlistText: string | undefined;
    let explain = false;
    for (let i = 1; i < args.length; i++) {
      const a = args[i]!;
      if (a === '--explain') explain = true;
      else if (a === '--allowlist') {
        allowlistText = args[++i];
        if (allowlistText === undefined) throw new CliError('--allowlist needs a value', EXIT.usage);
      } else if (a.startsWith('--allowlist=')) allowlistText = a.slice('--allowlist='.length);
      else throw new CliError(`unknown option: ${a} (see hearth shell --help)`, EXIT.usage);
    }
    const allowlist = parseAllowlist(allowlistText ?? configFrom(io).HEARTH_SHELL_ALLOWLIST);
    const policy = createShellPolicy({ parser: await createShellParser(), allowlist });
    const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
      if (line.trim() === '') continue;
      const result = policy.classify(line);
      println(io.stdout, explain ? `${result.verdict}\t${line}\t${result.reasons.join('; ')}` : `${result.verdict}\t${line}`);
    }
    return EXIT.ok;
  },
};
