import { SCOPES, type Scope } from '../../core/index.js';
import { CliError, EXIT, println, withHearth, type CliIo, type Command } from '../io.js';
import { cliFailure } from './users.js';

/** A `hearth keys SUB` handler; other concerns add theirs (e.g. `rotate`) through createKeysCommand. */
export type KeysSubcommand = (args: string[], io: CliIo) => Promise<number>;

function option(args: readonly string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

const create: KeysSubcommand = async (args, io) => {
  const userName = option(args, '--user');
  const scopes = (option(args, '--scopes') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const days = option(args, '--expires-days');
  if (!userName) throw new CliError('keys create needs --user NAME', EXIT.usage);
  if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s as Scope)))
    throw new CliError(`--scopes must be a comma-separated list of: ${SCOPES.join(', ')}`, EXIT.usage);
  if (days !== undefined && !/^[1-9][0-9]{0,3}$/.test(days))
    throw new CliError('--expires-days must be a whole number of days', EXIT.usage);
  return withHearth(
    io,
    async (hearth) => {
      const user = await hearth.identity.findUserByName(userName);
      if (!user) throw new CliError(`no user named ${userName}`);
      const expiresAt = days ? Date.now() + Number(days) * 86_400_000 : null;
      const { key } = await hearth.identity
        .createApiKey({ userId: user.id, scopes: scopes as Scope[], expiresAt, name: option(args, '--name') ?? 'cli' })
        .catch(cliFailure);
      // Printed once; only its hash is stored.
      println(io.stdout, key);
      return EXIT.ok;
    },
    // People and their keys: the identity plugin is all it needs (see withHearth).
    { only: async () => [(await import('../../identity/index.js')).identityPlugin] },
  );
};

const revoke: KeysSubcommand = async (args, io) => {
  const id = args[0];
  if (!id) throw new CliError('keys revoke needs a key id', EXIT.usage);
  return withHearth(io, async (hearth) => {
    if (!(await hearth.identity.revokeApiKey(id))) throw new CliError('no active key with that id');
    println(io.stdout, `revoked ${id}`);
    return EXIT.ok;
  });
};

/** `hearth keys`: create and revoke API keys; extra subcommands (rotate) plug in. */
export function createKeysCommand(extra: Record<string, KeysSubcommand> = {}): Command {
  const subs: Record<string, KeysSubcommand> = { create, revoke, ...extra };
  return {
    name: 'keys',
    summary: 'API keys (create, revoke) and key rotation',
    usage: `Usage: hearth keys create --user NAME --scopes read,write,chat,admin [--expires-days N] [--name LABEL]
       hearth keys revoke KEY_ID
       ${Object.keys(extra)
         .map((k) => `hearth keys ${k}`)
         .join('\n       ')}

create prints the key once (hth_…); only its hash is stored.`,
    async run(args, io) {
      const [sub, ...rest] = args;
      const fn = sub ? subs[sub] : undefined;
      if (!fn) throw new CliError(`unknown keys subcommand: ${sub ?? '(none)'} (see hearth keys --help)`, EXIT.usage);
      return fn(rest, io);
    },
  };
}
