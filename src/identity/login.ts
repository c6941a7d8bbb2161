import { AppError } from '../core/index.js';
import type { AuditActor, AuditEvent } from '../security/audit/index.js';
import type { HearthRateLimiter } from '../security/ratelimit/index.js';
import { normalizeName, record, type IdentityContext, type SessionInfo, type User } from './context.js';
import { createSession } from './sessions.js';
import { findUserByName, passwordHashOf } from './users.js';

/** AUTH-3: 10 failures in 60 s per account or per IP lock logins for 5 minutes. */
export const LOGIN_FAILURE_BUDGET = { points: 10, durationSec: 60 } as const;
const LOGIN_LOCK_SECONDS = 300;
export const LOGIN_BUDGET = 'login.fail';

export interface LoginInput {
  readonly name: string;
  readonly password: string;
  readonly ip: string;
  readonly userAgent?: string;
  readonly requestId?: string;
}

const INVALID = 'Invalid name or password';

function locked(retryAfterMs: number): AppError {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return new AppError(
    'LOCKED',
    'Too many failed logins; try again later',
    { retryAfterSeconds: seconds },
    { headers: { 'retry-after': String(seconds) } },
  );
}

/** The limiter keys one password attempt counts against: the account and the caller's address. */
export function attemptKeys(name: string, ip: string | undefined): string[] {
  return [`account:${name}`, ...(ip ? [`ip:${ip}`] : [])];
}

/** Throws 423 (with Retry-After) while any of the keys is locked out; audits the refused attempt. */
export async function assertNotLocked(
  ctx: IdentityContext,
  limiter: HearthRateLimiter,
  keys: readonly string[],
  event: Omit<AuditEvent, 'outcome' | 'details'>,
): Promise<void> {
  const states = await Promise.all(keys.map((key) => limiter.peek(LOGIN_BUDGET, key)));
  if (states.every((s) => s.allowed)) return;
  await record(ctx, { ...event, outcome: 'denied', details: { reason: 'locked' } });
  throw locked(Math.max(...states.map((s) => s.retryAfterMs)));
}

/**
 * Counts one failed password attempt against every key (AUTH-3); a key that reaches the budget is
 * locked for 5 minutes, which is audited as `auth.lockout`.
 */
export async function countFailure(
  ctx: IdentityContext,
  limiter: HearthRateLimiter,
  keys: readonly string[],
  target: string,
  actor: AuditActor,
) {
  const results = await Promise.all(keys.map((key) => limiter.consume(LOGIN_BUDGET, key)));
  const lockNow = results.some((r) => r.remaining === 0);
  if (!lockNow) return;
  await Promise.all(results.map((r, i) => (r.remaining === 0 ? limiter.block(LOGIN_BUDGET, keys[i]!, LOGIN_LOCK_SECONDS) : undefined)));
  await record(ctx, { actor, action: 'auth.lockout', target, outcome: 'denied', details: { seconds: LOGIN_LOCK_SECONDS } });
}

/**
 * Verifies a password and starts a session. Unknown names spend the same argon2 effort and get
 * the same answer as wrong passwords; failures count per account and per IP.
 */
export async function login(
  ctx: IdentityContext,
  limiter: HearthRateLimiter,
  input: LoginInput,
): Promise<{ user: User; token: string; session: SessionInfo }> {
  const name = normalizeName(input.name).slice(0, 64);
  const keys = attemptKeys(name, input.ip);
  const actor: AuditActor = { type: 'anonymous', ip: input.ip };
  const requestId = input.requestId ? { requestId: input.requestId } : {};
  await assertNotLocked(ctx, limiter, keys, { actor, action: 'auth.login', target: name, ...requestId });
  const user = await findUserByName(ctx, name);
  const hash = user ? await passwordHashOf(ctx, user.id) : null;
  const ok = user && hash ? await ctx.passwords.verify(hash, input.password) : await ctx.passwords.verifyDummy(input.password);
  if (!ok || !user) {
    await record(ctx, {
      actor,
      action: 'auth.login',
      target: name,
      outcome: 'failure',
      ...requestId,
      details: { reason: 'invalid_credentials' },
    });
    await countFailure(ctx, limiter, keys, name, actor);
    throw new AppError('UNAUTHENTICATED', INVALID);
  }
  await limiter.reset(LOGIN_BUDGET, keys[0]!);
  const { token, session } = await createSession(ctx, user.id, {
    ip: input.ip,
    ...(input.userAgent ? { userAgent: input.userAgent } : {}),
  });
  await record(ctx, {
    actor: { type: 'user', id: user.id },
    action: 'auth.login',
    target: user.id,
    outcome: 'success',
    ...requestId,
  });
  return { user, token, session };
}
