import { ROLES, type Role } from '../../core/index.js';
import { CliError, EXIT, println, readStdin, withHearth, type Command } from '../io.js';
import { AppError } from '../../core/index.js';

/** Turns an AppError into a one-line CLI error (its message is safe to show). */
export function cliFailure(err: unknown): never {
  if (err instanceof AppError) throw new CliError(err.message);
  throw err;
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'Add or list people (password on stdin)',
  usage: `Usage: hearth users add NAME --role owner|admin|member   (reads the password from stdin)
       hearth users list

Passwords: at least 12 characters, not a common password; stored as argon2id hashes.
Example: printf '%s' "$PASSWORD" | hearth users add alice --role member`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'list')
      return withHearth(io, async (hearth) => {
        for (const u of await hearth.identity.listUsers()) println(io.stdout, `${u.name}\t${u.role}\t${u.id}`);
        return EXIT.ok;
      });
    if (sub !== 'add') throw new CliError('usage: hearth users add NAME --role owner|admin|member (see --help)', EXIT.usage);
    const name = rest[0];
    const roleIndex = rest.indexOf('--role');
    const role = roleIndex >= 0 ? rest[roleIndex + 1] : undefined;
    if (!name || name.startsWith('-')) throw new CliError('users add needs a NAME', EXIT.usage);
    if (!role || !ROLES.includes(role as Role)) throw new CliError('--role must be owner, admin or member', EXIT.usage);
    const password = (await readStdin(io)).replace(/\r?\n$/, '');
    if (!password) throw new CliError('no password on stdin', EXIT.usage);
    return withHearth(io, async (hearth) => {
      const user = await hearth.identity.createUser({ name, password, role: role as Role }).catch(cliFailure);
      println(io.stdout, `created ${user.role} ${user.name} (${user.id})`);
      return EXIT.ok;
    });
  },
};
