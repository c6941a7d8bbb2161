import { CliError, EXIT, println, withHearth, type Command } from '../io.js';

/** `hearth pairings`: the owner lists, approves or denies chat-channel pairing codes from the shell (CH-2). */
export const pairingsCommand: Command = {
  name: 'pairings',
  summary: 'List, approve or deny chat-channel pairing requests',
  usage: `Usage: hearth pairings list | approve CODE [--user USER_ID] | deny CODE

  list                         pending, unexpired requests (Telegram, Discord DMs)
  approve CODE [--user ID]     let that person chat; --user links them to an existing Hearth person
  deny CODE                    refuse the request
The approved person is told on the next message they send (the running server notifies them when
approved from the dashboard).`,
  async run(args, io) {
    const [sub = 'list', code, ...rest] = args;
    if (!['list', 'approve', 'deny'].includes(sub))
      throw new CliError(`unknown pairings subcommand: ${sub} (see hearth pairings --help)`, EXIT.usage);
    if (sub !== 'list' && !code) throw new CliError(`hearth pairings ${sub} needs a CODE`, EXIT.usage);
    const userFlag = rest.indexOf('--user');
    const userId = userFlag >= 0 ? rest[userFlag + 1] : undefined;
    if (userFlag >= 0 && !userId) throw new CliError('--user needs a person id', EXIT.usage);
    return withHearth(io, async (hearth) => {
      const hub = hearth.channels.hub;
      if (sub === 'list') {
        const pending = await hub.pending();
        if (pending.length === 0) println(io.stdout, 'no pending pairing requests');
        for (const p of pending)
          println(io.stdout, `${p.code}\t${p.channel}\t${p.displayName ?? p.externalId}\texpires ${new Date(p.expiresAt).toISOString()}`);
        return EXIT.ok;
      }
      const result = await hub.decide({ code: code! }, sub === 'approve' ? 'approved' : 'denied', { type: 'system' }, userId);
      if (result.kind !== 'ok') throw new CliError(`could not ${sub} ${code}: ${result.kind.replace('_', ' ')}`);
      println(
        io.stdout,
        `${result.pairing.code} ${result.pairing.status}${result.pairing.userId ? ` (person ${result.pairing.userId})` : ''}`,
      );
      return EXIT.ok;
    });
  },
};
