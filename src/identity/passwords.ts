import { AppError } from '../core/index.js';
import type { AuditActor } from '../security/audit/index.js';
import type { HearthRateLimiter } from '../security/ratelimit/index.js';
import { record, type IdentityContext, type User } from './context.js';
import { assertNotLocked, attemptKeys, countFailure } from './login.js';
import { revokeAllSessions } from './sessions.js';
import { consumeToken, issueToken, RESET_TOKEN_TTL_MS, withdrawResetTokens } from './tokens.js';
import { assertPasswordAcceptable, findUserById, passwordHashOf } from './users.js';

/** Where a password attempt came from, for the failure limiter and the audit record. */
export interface PasswordAttempt {
  readonly ip?: string;
  readonly requestId?: string;
  /** The session making the change stays signed in; every other one ends. */
  readonly keepSessionId?: string;
}

const requestIdOf = (attempt: PasswordAttempt) => (attempt.requestId ? { requestId: attempt.requestId } : {});

/**
 * Stores a new password hash, withdraws the person's unused reset links and ends their sessions
 * (all of them, or all but `keepSessionId`). Returns how many sessions ended.
 */
async function storePassword(ctx: IdentityContext, user: User, password: string, reason: string, keepSessionId?: string): Promise<number> {
  await ctx.db
    .updateTable('identity_users')
    .set({ password_hash: await ctx.passwords.hash(password), updated_at: ctx.now() })
    .where('id', '=', user.id)
    .execute();
  await withdrawResetTokens(ctx, user.id);
  return revokeAllSessions(ctx, user.id, reason, keepSessionId);
}

/**
 * A person changes their own password (AUTH-2): the current password is required, and a wrong one
 * counts against the login failure budget of the account and the address (AUTH-3), so a stolen
 * session cannot be used to guess it. The new one passes the password policy.
 */
export async function changePassword(
  ctx: IdentityContext,
  limiter: HearthRateLimiter,
  userId: string,
  current: string,
  next: string,
  attempt: PasswordAttempt = {},
): Promise<void> {
  const user = await findUserById(ctx, userId);
  if (!user) throw new AppError('NOT_FOUND', 'User not found');
  const actor: AuditActor = { type: 'user', id: userId };
  const keys = attemptKeys(user.name, attempt.ip);
  await assertNotLocked(ctx, limiter, keys, { actor, action: 'user.password', target: userId, ...requestIdOf(attempt) });
  const hash = await passwordHashOf(ctx, userId);
  if (!hash || !(await ctx.passwords.verify(hash, current))) {
    await record(ctx, {
      actor,
      action: 'user.password',
      target: userId,
      outcome: 'failure',
      ...requestIdOf(attempt),
      details: { reason: 'wrong_current_password' },
    });
    await countFailure(ctx, limiter, keys, user.name, actor);
    throw new AppError('FORBIDDEN', 'Current password is wrong');
  }
  assertPasswordAcceptable(ctx, next, user.name);
  if (next === current) throw new AppError('VALIDATION_FAILED', 'The new password must differ from the current one', { field: 'password' });
  const revoked = await storePassword(ctx, user, next, 'password_changed', attempt.keepSessionId);
  await record(ctx, {
    actor,
    action: 'user.password',
    target: userId,
    outcome: 'success',
    ...requestIdOf(attempt),
    details: { via: 'self', sessionsRevoked: revoked },
  });
}

/** The operator sets a password at the server's terminal (`hearth users passwd`): no current password, every session ends. */
export async function setPassword(
  ctx: IdentityContext,
  userId: string,
  password: string,
  via: string,
): Promise<{ sessionsRevoked: number }> {
  const user = await findUserById(ctx, userId);
  if (!user) throw new AppError('NOT_FOUND', 'User not found');
  assertPasswordAcceptable(ctx, password, user.name);
  const revoked = await storePassword(ctx, user, password, 'password_set');
  await record(ctx, {
    actor: { type: 'system' },
    action: 'user.password',
    target: userId,
    outcome: 'success',
    details: { via, sessionsRevoked: revoked },
  });
  return { sessionsRevoked: revoked };
}

/**
 * An owner makes a one-time password-reset link for another person: 1 hour, single use, only its
 * hash stored, any earlier unused link for that person withdrawn. Audited with both parties.
 */
export async function issuePasswordReset(
  ctx: IdentityContext,
  targetId: string,
  actorId: string,
): Promise<{ token: string; id: string; expiresAt: number; user: User }> {
  const actor = await findUserById(ctx, actorId);
  if (!actor || actor.role !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner may reset a password');
  const target = await findUserById(ctx, targetId);
  if (!target) throw new AppError('NOT_FOUND', 'User not found');
  if (target.id === actor.id) throw new AppError('CONFLICT', 'Change your own password on your Account page');
  const withdrawn = await withdrawResetTokens(ctx, target.id);
  const issued = await issueToken(ctx, 'reset', target.role, RESET_TOKEN_TTL_MS, actor.id, target.id);
  await record(ctx, {
    actor: { type: 'user', id: actor.id },
    action: 'user.password_reset_link',
    target: target.id,
    outcome: 'success',
    details: { linkId: issued.id, userId: target.id, issuedBy: actor.id, expiresAt: issued.expiresAt, withdrawn },
  });
  return { ...issued, user: target };
}

/**
 * Sets a new password with a reset link. The password is checked before the link is spent (a weak
 * one does not burn it); using it ends every session of the person. Reused, expired, withdrawn and
 * unknown links get the same 401, and each refusal is audited.
 */
export async function completePasswordReset(
  ctx: IdentityContext,
  token: string,
  password: string,
  attempt: PasswordAttempt = {},
): Promise<User> {
  const personOf = async (userId: string | null) => {
    const user = userId ? await findUserById(ctx, userId) : undefined;
    if (!user) throw new AppError('UNAUTHENTICATED', 'Invalid or expired link');
    return user;
  };
  const link = await consumeToken(ctx, 'reset', token, async (row) => {
    assertPasswordAcceptable(ctx, password, (await personOf(row.userId)).name);
  }).catch(async (err: unknown) => {
    if (err instanceof AppError && err.code === 'UNAUTHENTICATED')
      await record(ctx, {
        actor: { type: 'anonymous', ...(attempt.ip ? { ip: attempt.ip } : {}) },
        action: 'user.password_reset',
        outcome: 'failure',
        ...requestIdOf(attempt),
        details: { reason: 'invalid_link' },
      });
    throw err;
  });
  const person = await personOf(link.userId);
  const revoked = await storePassword(ctx, person, password, 'password_reset');
  await record(ctx, {
    actor: { type: 'user', id: person.id },
    action: 'user.password_reset',
    target: person.id,
    outcome: 'success',
    ...requestIdOf(attempt),
    details: { linkId: link.id, userId: person.id, issuedBy: link.createdBy, sessionsRevoked: revoked },
  });
  return person;
}
