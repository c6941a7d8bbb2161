import { ROLES, type Role } from '../../core/index.js';
import { CliError, EXIT, println, readStdin, withHearth, type CliIo, type Command } from '../io.js';
import { AppError } from '../../core/index.js';
import { sanitizeLogString } from '../../logging/index.js';
import { readNewPassword } from './read-secret.js';

/** Turns an AppError into a one-line CLI error (its message is safe to show). */
export function cliFailure(err: unknown): never {
  if (err instanceof AppError) throw new CliError(err.message);
  throw err;
}

/** `hearth users passwd NAME`: same password policy as everywhere; every session of the person ends. */
async function passwd(args: string[], io: CliIo): Promise<number> {
  const name = args[0];
  if (!name || name.startsWith('-')) throw new CliError('users passwd needs a NAME', EXIT.usage);
  return withHearth(io, async (hearth) => {
    const user = await hearth.identity.findUserByName(name);
    if (!user) throw new CliError(`no user named ${sanitizeLogString(name, { maxString: 64 })}`);
    const password = await readNewPassword(io, user.name);
    const { sessionsRevoked } = await hearth.identity.setPassword(user.id, password, 'cli').catch(cliFailure);
    println(io.stdout, `password changed for ${user.name}; ${sessionsRevoked} session(s) signed out`);
    return EXIT.ok;
  });
}

/** The value after `--flag`, or undefined. */
const flag = (args: readonly string[], name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

/** `hearth users link-jwt NAME --issuer ISS --subject SUB`: that token subject now signs in as NAME (AUTH-6, audited). */
async function linkJwt(args: string[], io: CliIo): Promise<number> {
  const name = args[0];
  const issuer = flag(args, '--issuer');
  const subject = flag(args, '--subject');
  if (!name || name.startsWith('-')) throw new CliError('users link-jwt needs a NAME', EXIT.usage);
  if (!issuer || !subject) throw new CliError('users link-jwt needs --issuer ISSUER and --subject SUBJECT', EXIT.usage);
  return withHearth(io, async (hearth) => {
    const user = await hearth.identity.findUserByName(name);
    if (!user) throw new CliError(`no user named ${sanitizeLogString(name, { maxString: 64 })}`);
    await hearth.identity.linkJwtSubject(user.id, subject, { issuer }).catch(cliFailure);
    println(io.stdout, `tokens of ${sanitizeLogString(issuer, { maxString: 200 })} for that subject now sign in as ${user.name}`);
    return EXIT.ok;
  });
}

export const usersCommand: Command = {
  name: 'users',
  summary: 'Add or list people (password on stdin)',
  usage: `Usage: hearth users add NAME --role owner|admin|member   (reads the password from stdin)
       hearth users list
       hearth users passwd NAME   (asks twice without echo at a terminal, or reads one line from stdin)
       hearth users link-jwt NAME --issuer ISSUER --subject SUBJECT

passwd sets a new password without the current one (you are the operator at the server) and
signs the person out everywhere; it works while the server runs. It is audited.

link-jwt lets bearer JWTs of ISSUER (it must be HEARTH_JWT_ISSUER) whose \`sub\` is SUBJECT sign in
as NAME (audited as user.jwt_link). With HEARTH_JWT_AUTO_PROVISION=member an unknown subject
becomes a new member on its first verified token instead.

Passwords: at least 12 characters, not a common password; stored as argon2id hashes.
Example: printf '%s' "$PASSWORD" | hearth users add alice --role member`,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub === 'list')
      return withHearth(io, async (hearth) => {
        for (const u of await hearth.identity.listUsers()) println(io.stdout, `${u.name}\t${u.role}\t${u.id}`);
        return EXIT.ok;
      });
    if (sub === 'passwd') return passwd(rest, io);
    if (sub === 'link-jwt') return linkJwt(rest, io);
    if (sub !== 'add')
      throw new CliError(
        'usage: hearth users add NAME --role owner|admin|member, list, passwd NAME, or link-jwt NAME --issuer I --subject S (see --help)',
        EXIT.usage,
      );
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
