import { randomUUID } from 'node:crypto';
import { AppError, type Principal } from '../core/index.js';
import { record, type IdentityContext, type SessionInfo } from './context.js';
import { hashSecret, randomToken } from './secrets.js';
import type { IdentityTables } from './tables.js';

type SessionRow = IdentityTables['identity_sessions'];
/** last_seen_at is refreshed at most this often, so reads do not write on every request. */
const TOUCH_RESOLUTION_MS = 30_000;

function toInfo(row: SessionRow): SessionInfo {
  return {
    id: row.id,
    userId: row.user_id,
    createdAt: Number(row.created_at),
    lastSeenAt: Number(row.last_seen_at),
    expiresAt: Number(row.expires_at),
    ip: row.ip,
    userAgent: row.user_agent,
  };
}

/** Starts a session (AUTH-2): a fresh 256-bit token; only its hash is stored. */
export async function createSession(
  ctx: IdentityContext,
  userId: string,
  meta: { ip?: string; userAgent?: string } = {},
): Promise<{ token: string; session: SessionInfo }> {
  const token = randomToken();
  const now = ctx.now();
  const row: SessionRow = {
    id: randomUUID(),
    token_hash: hashSecret(token),
    user_id: userId,
    created_at: now,
    last_seen_at: now,
    expires_at: now + ctx.sessionAbsoluteMs,
    ip: meta.ip ?? null,
    user_agent: meta.userAgent?.slice(0, 256) ?? null,
    revoked_at: null,
  };
  await ctx.db.insertInto('identity_sessions').values(row).execute();
  await record(ctx, { actor: { type: 'user', id: userId }, action: 'session.create', target: row.id, outcome: 'success' });
  return { token, session: toInfo(row) };
}

/** Resolves a session cookie; expired (idle or absolute), revoked or unknown tokens throw 401. */
export async function authenticateSession(ctx: IdentityContext, token: string): Promise<Principal> {
  const row = await ctx.lookup.session(hashSecret(token));
  const now = ctx.now();
  if (!row || row.revokedAt !== null || Number(row.expiresAt) <= now || now - Number(row.lastSeenAt) >= ctx.sessionIdleMs)
    throw new AppError('UNAUTHENTICATED', 'Session expired or invalid');
  if (now - Number(row.lastSeenAt) >= TOUCH_RESOLUTION_MS)
    await ctx.db.updateTable('identity_sessions').set({ last_seen_at: now }).where('id', '=', row.id).execute();
  return { userId: row.userId, role: row.role, kind: 'session', scopes: 'all', credentialId: row.id };
}

/** Active sessions of a person, newest first. */
export async function listSessions(ctx: IdentityContext, userId: string): Promise<SessionInfo[]> {
  const now = ctx.now();
  const rows = await ctx.db
    .selectFrom('identity_sessions')
    .selectAll()
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', now - ctx.sessionIdleMs)
    .orderBy('created_at', 'desc')
    .execute();
  return rows.map(toInfo);
}

/** Ends one session of a person (logout, or revoke from the session list). */
export async function revokeSession(ctx: IdentityContext, userId: string, sessionId: string, actorId = userId): Promise<boolean> {
  const result = await ctx.db
    .updateTable('identity_sessions')
    .set({ revoked_at: ctx.now() })
    .where('id', '=', sessionId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const changed = Number(result.numUpdatedRows) > 0;
  if (changed) await record(ctx, { actor: { type: 'user', id: actorId }, action: 'session.revoke', target: sessionId, outcome: 'success' });
  return changed;
}

/** Ends every session of a person (password change, revoke-all); `except` keeps the caller's own. */
export async function revokeAllSessions(ctx: IdentityContext, userId: string, reason: string, except?: string): Promise<number> {
  let query = ctx.db
    .updateTable('identity_sessions')
    .set({ revoked_at: ctx.now() })
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null);
  if (except) query = query.where('id', '!=', except);
  const result = await query.executeTakeFirst();
  const n = Number(result.numUpdatedRows);
  await record(ctx, {
    actor: { type: 'user', id: userId },
    action: 'session.revoke_all',
    target: userId,
    outcome: 'success',
    details: { reason, count: n },
  });
  return n;
}
