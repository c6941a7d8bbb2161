import { createHash, randomBytes } from 'node:crypto';
import { AppError, type Role } from '../core/index.js';
import { record, type IdentityContext } from './context.js';
import * as users from './users.js';

/** The configured issuer and whether an unknown subject becomes a member on its first token. */
export interface JwtLinking {
  readonly issuer: string;
  readonly autoProvision: 'off' | 'member';
}

const SUBJECT = /^[\x21-\x7e]{1,255}$/;

const linkedUser = (ctx: IdentityContext, issuer: string, subject: string) =>
  ctx.db
    .selectFrom('identity_jwt_subjects')
    .innerJoin('identity_users', 'identity_users.id', 'identity_jwt_subjects.user_id')
    .select(['identity_users.id as id', 'identity_users.role as role'])
    .where('identity_jwt_subjects.issuer', '=', issuer)
    .where('identity_jwt_subjects.subject', '=', subject)
    .executeTakeFirst();

/**
 * Links a token subject of the configured issuer to a Hearth user (AUTH-6): `hearth users link-jwt`,
 * the People page. A subject speaks as one person only: linking it to another is a conflict.
 */
export async function linkJwtSubject(
  ctx: IdentityContext,
  jwt: JwtLinking | undefined,
  userId: string,
  subject: string,
  options: { issuer?: string | undefined; actorId?: string | undefined } = {},
): Promise<void> {
  if (!jwt)
    throw new AppError('UNAVAILABLE', 'Bearer tokens are not configured (HEARTH_JWT_ISSUER, HEARTH_JWT_AUDIENCE, HEARTH_JWT_JWKS_URL)');
  if (options.issuer !== undefined && options.issuer !== jwt.issuer)
    throw new AppError('VALIDATION_FAILED', 'That issuer is not HEARTH_JWT_ISSUER; only its tokens are accepted', { field: 'issuer' });
  if (!SUBJECT.test(subject)) throw new AppError('VALIDATION_FAILED', 'A subject is 1 to 255 visible characters', { field: 'subject' });
  if (!(await users.findUserById(ctx, userId))) throw new AppError('NOT_FOUND', 'User not found');
  const current = await linkedUser(ctx, jwt.issuer, subject);
  if (current?.id === userId) return;
  if (current) throw new AppError('CONFLICT', 'That subject is already linked to someone else');
  try {
    await ctx.db
      .insertInto('identity_jwt_subjects')
      .values({ issuer: jwt.issuer, subject, user_id: userId, created_at: ctx.now() })
      .execute();
  } catch (err) {
    if (await linkedUser(ctx, jwt.issuer, subject)) throw new AppError('CONFLICT', 'That subject is already linked to someone else');
    throw err;
  }
  await record(ctx, {
    actor: options.actorId ? { type: 'user', id: options.actorId } : { type: 'system' },
    action: 'user.jwt_link',
    target: userId,
    outcome: 'success',
    details: { issuer: jwt.issuer },
  });
}

/**
 * The person a verified token speaks as: its linked user, or with `HEARTH_JWT_AUTO_PROVISION=member`
 * a new member created for it on its first token (named `jwt-<hash>`, with a random password nobody
 * holds; audited as `user.jwt_provision`). Two first tokens at once create one member.
 */
export function createJwtPeople(ctx: IdentityContext, jwt: JwtLinking) {
  const pending = new Map<string, Promise<{ id: string; role: Role }>>();
  async function provision(subject: string): Promise<{ id: string; role: Role }> {
    const name = `jwt-${createHash('sha256').update(`${jwt.issuer}\0${subject}`).digest('hex').slice(0, 16)}`;
    const user = await users
      .createUser(ctx, { name, password: randomBytes(32).toString('base64url'), role: 'member' })
      .catch((err: unknown) => {
        if (err instanceof AppError && err.code === 'CONFLICT') throw new AppError('UNAUTHENTICATED', 'Token subject is not a Hearth user');
        throw err;
      });
    try {
      await ctx.db
        .insertInto('identity_jwt_subjects')
        .values({ issuer: jwt.issuer, subject, user_id: user.id, created_at: ctx.now() })
        .execute();
    } catch (err) {
      // Another replica linked it first: the member made here goes again, theirs is the one.
      await ctx.db.deleteFrom('identity_users').where('id', '=', user.id).execute();
      const theirs = await linkedUser(ctx, jwt.issuer, subject);
      if (theirs) return theirs;
      throw err;
    }
    await record(ctx, {
      actor: { type: 'system' },
      action: 'user.jwt_provision',
      target: user.id,
      outcome: 'success',
      details: { issuer: jwt.issuer, role: 'member' },
    });
    return { id: user.id, role: user.role };
  }
  return {
    async personOf(subject: string): Promise<{ id: string; role: Role }> {
      const row = await linkedUser(ctx, jwt.issuer, subject);
      if (row) return row;
      if (jwt.autoProvision !== 'member') throw new AppError('UNAUTHENTICATED', 'Token subject is not a Hearth user');
      let running = pending.get(subject);
      if (!running) {
        running = provision(subject).finally(() => pending.delete(subject));
        pending.set(subject, running);
      }
      return running;
    },
  };
}
