import { AppError } from '../core/index.js';
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
  const accountKey = `account:${name}`;
  const ipKey = `ip:${input.ip}`;
  const [account, ip] = await Promise.all([limiter.peek(LOGIN_BUDGET, accountKey), limiter.peek(LOGIN_BUDGET, ipKey)]);
  if (!account.allowed || !ip.allowed) {
    await record(ctx, {
      actor: { type: 'anonymous', ip: input.ip },
      action: 'auth.login',
      target: name,
      outcome: 'denied',
      ...(input.requestId ? { requestId: input.requestId } : {}),
      details: { reason: 'locked' },
    });
    throw locked(Math.max(account.retryAfterMs, ip.retryAfterMs));
  }
  const user = await findUserByName(ctx, name);
  const hash = user ? await passwordHashOf(ctx, user.id) : null;
  const ok = user && hash ? await ctx.passwords.verify(hash, input.password) : await ctx.passwords.verifyDummy(input.password);
  if (!ok || !user) {
    const results = await Promise.all([limiter.consume(LOGIN_BUDGET, accountKey), limiter.consume(LOGIN_BUDGET, ipKey)]);
    const lockNow = results.some((r) => r.remaining === 0);
    if (lockNow) {
      await Promise.all(
        results.map((r, i) =>
          r.remaining === 0 ? limiter.block(LOGIN_BUDGET, i === 0 ? accountKey : ipKey, LOGIN_LOCK_SECONDS) : undefined,
        ),
      );
    }
    await record(ctx, {
      actor: { type: 'anonymous', ip: input.ip },
      action: 'auth.login',
      target: name,
      outcome: 'failure',
      ...(input.requestId ? { requestId: input.requestId } : {}),
      details: { reason: 'invalid_credentials' },
    });
    if (lockNow)
      await record(ctx, {
        actor: { type: 'anonymous', ip: input.ip },
        action: 'auth.lockout',
        target: name,
        outcome: 'denied',
        details: { seconds: LOGIN_LOCK_SECONDS },
      });
    throw new AppError('UNAUTHENTICATED', INVALID);
  }
  await limiter.reset(LOGIN_BUDGET, accountKey);
  const { token, session } = await createSession(ctx, user.id, {
    ip: input.ip,
    ...(input.userAgent ? { userAgent: input.userAgent } : {}),
  });
  await record(ctx, {
    actor: { type: 'user', id: user.id },
    action: 'auth.login',
    target: user.id,
    outcome: 'success',
    ...(input.requestId ? { requestId: input.requestId } : {}),
  });
  return { user, token, session };
}
