import { randomUUID } from 'node:crypto';
import { AppError, SCOPES, type Principal, type Scope } from '../core/index.js';
import { record, type ApiKeyInfo, type IdentityContext } from './context.js';
import { generateApiKey, hashSecret, isWellFormedApiKey } from './secrets.js';
import type { IdentityTables } from './tables.js';
import { findUserById } from './users.js';

type KeyRow = IdentityTables['identity_api_keys'];
/** last_used_at is written at most this often per key, so reads stay cheap. */
const LAST_USE_RESOLUTION_MS = 60_000;

function toInfo(row: KeyRow): ApiKeyInfo {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    prefix: row.prefix,
    scopes: JSON.parse(row.scopes) as Scope[],
    createdAt: Number(row.created_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

export interface CreateApiKeyInput {
  readonly userId: string;
  readonly scopes: readonly Scope[];
  readonly expiresAt?: number | null;
  readonly name?: string;
  readonly actorId?: string;
}

/** Creates a key (AUTH-5); the plaintext is returned once and only its SHA-256 is stored. */
export async function createApiKey(ctx: IdentityContext, input: CreateApiKeyInput): Promise<{ key: string; id: string; info: ApiKeyInfo }> {
  const user = await findUserById(ctx, input.userId);
  if (!user) throw new AppError('NOT_FOUND', 'User not found');
  const scopes = [...new Set(input.scopes)];
  if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s)))
    throw new AppError('VALIDATION_FAILED', `Scopes must be some of: ${SCOPES.join(', ')}`, { field: 'scopes' });
  if (scopes.includes('admin') && user.role === 'member')
    throw new AppError('FORBIDDEN', 'A member cannot hold a key with the admin scope');
  if (input.expiresAt != null && input.expiresAt <= ctx.now())
    throw new AppError('VALIDATION_FAILED', 'Expiry must be in the future', { field: 'expiresAt' });
  const key = generateApiKey();
  const row: KeyRow = {
    id: randomUUID(),
    user_id: user.id,
    name: (input.name ?? 'key').slice(0, 64),
    key_hash: hashSecret(key),
    prefix: key.slice(0, 10),
    scopes: JSON.stringify(scopes),
    created_at: ctx.now(),
    expires_at: input.expiresAt ?? null,
    last_used_at: null,
    revoked_at: null,
  };
  await ctx.db.insertInto('identity_api_keys').values(row).execute();
  await record(ctx, {
    actor: { type: 'user', id: input.actorId ?? user.id },
    action: 'apikey.create',
    target: row.id,
    outcome: 'success',
    details: { userId: user.id, scopes, expiresAt: row.expires_at },
  });
  return { key, id: row.id, info: toInfo(row) };
}

export async function listApiKeys(ctx: IdentityContext, userId?: string): Promise<ApiKeyInfo[]> {
  let query = ctx.db.selectFrom('identity_api_keys').selectAll().orderBy('created_at');
  if (userId !== undefined) query = query.where('user_id', '=', userId);
  return (await query.execute()).map(toInfo);
}

export async function findApiKey(ctx: IdentityContext, id: string): Promise<ApiKeyInfo | undefined> {
  const row = await ctx.db.selectFrom('identity_api_keys').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toInfo(row) : undefined;
}

/** Revokes at once: the next request with the key fails, on every replica (it is checked in the database). */
export async function revokeApiKey(ctx: IdentityContext, id: string, actorId?: string): Promise<boolean> {
  const result = await ctx.db
    .updateTable('identity_api_keys')
    .set({ revoked_at: ctx.now() })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  const changed = Number(result.numUpdatedRows) > 0;
  if (changed)
    await record(ctx, {
      actor: actorId ? { type: 'user', id: actorId } : { type: 'system' },
      action: 'apikey.revoke',
      target: id,
      outcome: 'success',
    });
  return changed;
}

/**
 * Resolves a presented key to a principal. Malformed, unknown, revoked or expired keys throw 401,
 * so a bad key never falls through to a weaker credential.
 */
export async function authenticateApiKey(ctx: IdentityContext, key: string): Promise<Principal> {
  if (!isWellFormedApiKey(key)) throw new AppError('UNAUTHENTICATED', 'Invalid API key');
  const row = await ctx.lookup.apiKey(hashSecret(key));
  const now = ctx.now();
  if (!row || row.revokedAt !== null || (row.expiresAt !== null && Number(row.expiresAt) <= now))
    throw new AppError('UNAUTHENTICATED', 'Invalid API key');
  if (row.lastUsedAt === null || now - Number(row.lastUsedAt) >= LAST_USE_RESOLUTION_MS)
    await ctx.db.updateTable('identity_api_keys').set({ last_used_at: now }).where('id', '=', row.id).execute();
  return { userId: row.userId, role: row.role, kind: 'api_key', scopes: JSON.parse(row.scopes) as Scope[], credentialId: row.id };
}
