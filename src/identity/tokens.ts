import { randomUUID } from 'node:crypto';
import { AppError, type Role } from '../core/index.js';
import type { IdentityContext } from './context.js';
import { hashSecret, randomToken } from './secrets.js';

export const SETUP_TOKEN_TTL_MS = 60 * 60 * 1000;
export const INVITE_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Issues a one-time token (setup link or invite); only its hash is stored. */
export async function issueToken(
  ctx: IdentityContext,
  kind: 'setup' | 'invite',
  role: Role,
  ttlMs: number,
  createdBy: string | null,
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
      created_at: now,
      expires_at: now + ttlMs,
      used_at: null,
    })
    .execute();
  return { token, id, expiresAt: now + ttlMs };
}

/**
 * Marks a token used, atomically: of two concurrent uses exactly one wins. Unknown, used and
 * expired tokens all give the same 401.
 */
export async function consumeToken(
  ctx: IdentityContext,
  kind: 'setup' | 'invite',
  token: string,
): Promise<{ id: string; role: Role; createdBy: string | null }> {
  const hash = hashSecret(token);
  const now = ctx.now();
  const row = await ctx.db
    .selectFrom('identity_tokens')
    .selectAll()
    .where('token_hash', '=', hash)
    .where('kind', '=', kind)
    .executeTakeFirst();
  if (!row || row.used_at !== null || Number(row.expires_at) <= now) throw new AppError('UNAUTHENTICATED', 'Invalid or expired link');
  const result = await ctx.db
    .updateTable('identity_tokens')
    .set({ used_at: now })
    .where('id', '=', row.id)
    .where('used_at', 'is', null)
    .executeTakeFirst();
  if (Number(result.numUpdatedRows) !== 1) throw new AppError('UNAUTHENTICATED', 'Invalid or expired link');
  return { id: row.id, role: row.role, createdBy: row.created_by };
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
