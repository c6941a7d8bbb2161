import { CliError, EXIT, println, withHearth, type Command } from '../io.js';

/** `hearth approvals`: the owner at a terminal lists and decides shell commands waiting for approval (EXEC-1). */
export const approvalsCommand: Command = {
  name: 'approvals',
  summary: 'List, approve or deny shell commands waiting for the owner',
  usage: `Usage: hearth approvals list | approve NONCE | deny NONCE

  list            shell commands waiting for approval, on every replica: nonce, familiar,
                  who asked, expiry, then the whole command on the next lines
  approve NONCE   run that command (the nonce "list" shows; it binds the decision to it)
  deny NONCE      refuse it; nothing runs
The command runs in the server process that asked for it; this only records the decision
(audited as the terminal). A request whose time is over cannot be approved.`,
  async run(args, io) {
    const [sub = 'list', nonce, ...rest] = args;
    if (!['list', 'approve', 'deny'].includes(sub))
      throw new CliError(`unknown approvals subcommand: ${sub} (see hearth approvals --help)`, EXIT.usage);
    if (sub !== 'list' && !nonce) throw new CliError(`hearth approvals ${sub} needs a NONCE (see hearth approvals list)`, EXIT.usage);
    if (rest.length > 0) throw new CliError(`unexpected argument: ${rest[0]}`, EXIT.usage);
    return withHearth(io, async (hearth) => {
      const approvals = hearth.approvals;
      if (sub === 'list') {
        const pending = await approvals.pending();
        if (pending.length === 0) println(io.stdout, 'no shell commands are waiting for approval');
        for (const a of pending) {
          println(io.stdout, `${a.nonce}\tfamiliar ${a.familiarId}\tasked by ${a.userId}\texpires ${new Date(a.expiresAt).toISOString()}`);
          println(io.stdout, a.reasons.map((r) => `  # ${r}`).join('\n'));
          for (const line of a.command.split('\n')) println(io.stdout, `  ${line}`);
        }
        return EXIT.ok;
      }
      try {
        const view = await approvals.decide({ nonce: nonce!, approve: sub === 'approve', decider: { kind: 'terminal' } });
        println(io.stdout, `${view.status}: ${view.command}`);
        return EXIT.ok;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'NOT_FOUND' || code === 'CONFLICT' || code === 'GONE' || code === 'FORBIDDEN')
          throw new CliError(`could not ${sub}: ${(err as Error).message}`);
        throw err;
      }
    });
  },
};
