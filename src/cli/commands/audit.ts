import { CliError, EXIT, println, withHearth, type Command } from '../io.js';

/** `hearth audit verify`: walks the audit chain and names the first bad entry (LOG-3). */
export const auditCommand: Command = {
  name: 'audit',
  summary: 'Verify the audit log chain',
  usage: `Usage: hearth audit verify

  verify   walk the HMAC chain from the last retention checkpoint; exit 1 and name the first
           entry that was edited, deleted, inserted or moved`,
  async run(args, io) {
    if (args[0] !== 'verify') throw new CliError(`unknown audit subcommand: ${args[0] ?? '(none)'} (see hearth audit --help)`, EXIT.usage);
    return withHearth(io, async (hearth) => {
      const result = await hearth.audit.verify();
      if (!result.ok) {
        println(
          io.stdout,
          `audit log FAILED verification at entry ${result.seq}: ${result.reason} (${result.entries} entries verified before it)`,
        );
        return EXIT.failure;
      }
      println(io.stdout, `audit log OK: ${result.entries} entries verified (seq ${result.fromSeq}..${result.headSeq})`);
      return EXIT.ok;
    });
  },
};
