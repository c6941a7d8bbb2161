import { randomUUID } from 'node:crypto';
import { AppError, type Role } from '../core/index.js';
import type { IdentityContext } from './context.js';
import { hashSecret, randomToken } from './secrets.js';
import type { IdentityTables, TokenKind } from './tables.js';

export const SETUP_TOKEN_TTL_MS = 60 * 60 * 1000;
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;
export const RESET_TOKEN_TTL_MS = 60 * 60 * 1000;

type TokenRow = IdentityTables['identity_tokens'];

/** Issues a one-time token (setup link, invite or password reset); only its hash is stored. */
export async function issueToken(
  ctx: IdentityContext,
  kind: TokenKind,
  role: Role,
  ttlMs: number,
  createdBy: string | null,
  userId: string | null = null,
): Promise<{ token: string; id: string; expiresAt: number }> {
  const token = randomToken();
  const now = ctx.now();
  const id = randomUUID();
  await ctx.db
    .insertInto('identity_tokens')
    .values({
      id,
      kind,
      token_hash: hashSecret(token),
      role,
      created_by: createdBy,
      user_id: userId,
      created_at: now,
      expires_at: now + ttlMs,
      used_at: null,
    })
    .execute();
  return { token, id, expiresAt: now + ttlMs };
}

export interface ConsumedToken {
  readonly id: string;
  readonly role: Role;
  readonly createdBy: string | null;
  readonly userId: string | null;
}

/**
 * Marks a token used, atomically: of two concurrent uses exactly one wins. Unknown, used and
 * expired tokens all give the same 401. `check` runs on a valid token before it is spent (e.g.
 * the password policy), so a refused request does not burn the link.
 */
export async function consumeToken(
  ctx: IdentityContext,
  kind: TokenKind,
  token: string,
  check?: (row: ConsumedToken) => Promise<void> | void,
): Promise<ConsumedToken> {
  const hash = hashSecret(token);
  const now = ctx.now();
  const row: TokenRow | undefined = await ctx.db
    .selectFrom('identity_tokens')
    .selectAll()
    .where('token_hash', '=', hash)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (!row || row.used_at !== null || Number(row.expires_at) <= now) throw new AppError('UNAUTHENTICATED', 'Invalid or expired link');
  const consumed: ConsumedToken = { id: row.id, role: row.role, createdBy: row.created_by, userId: row.user_id };
  await check?.(consumed);
  const result = await ctx.db
    .updateTable('identity_tokens')
    .set({ used_at: ctx.now() })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', ctx.now())
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new AppError('UNAUTHENTICATED', 'Invalid or expired link');
  return consumed;
}

/** Withdraws unused setup tokens once an owner exists. */
export async function expireSetupTokens(ctx: IdentityContext): Promise<void> {
  await ctx.db
    .updateTable('identity_tokens')
    .set({ used_at: ctx.now() })
    .where('kind', '=', 'setup')
    .where('used_at', 'is', null)
    .execute();
}

/** Withdraws a person's unused password-reset links (a newer link, or their password changed); returns how many. */
export async function withdrawResetTokens(ctx: IdentityContext, userId: string): Promise<number> {
  const result = await ctx.db
    .updateTable('identity_tokens')
    .set({ used_at: ctx.now() })
    .where('kind', '=', 'reset')
    .where('user_id', '=', userId)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
