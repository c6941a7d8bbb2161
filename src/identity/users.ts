import { randomUUID } from 'node:crypto';
import { AppError, ROLES, type Role } from '../core/index.js';
import { normalizeName, record, USER_NAME_PATTERN, type IdentityContext, type User } from './context.js';
import type { IdentityTables } from './tables.js';

type UserRow = IdentityTables['identity_users'];

function toUser(row: UserRow): User {
  return { id: row.id, name: row.name, role: row.role, createdAt: Number(row.created_at) };
}

/** Refuses a weak password with a clear 400 (AUTH-1). */
export function assertPasswordAcceptable(ctx: IdentityContext, password: string, name: string): void {
  const refused = ctx.passwords.check(password, { name });
  if (refused) throw new AppError('VALIDATION_FAILED', refused.message, { field: 'password', reason: refused.problem });
}

/** The stored (lowercased) form of a person's name, or a clear 400 when it is not one. */
export function assertNameAcceptable(input: string): string {
  const name = normalizeName(input);
  if (!USER_NAME_PATTERN.test(name))
    throw new AppError('VALIDATION_FAILED', 'Name must be 1-64 characters: letters, digits, . _ -', { field: 'name' });
  return name;
}

export interface CreateUserInput {
  readonly name: string;
  readonly password: string;
  readonly role: Role;
  /** Who created the user, for the audit record. */
  readonly actorId?: string;
}

/** Creates a person with an argon2id-hashed password; a taken name is a 409. */
export async function createUser(ctx: IdentityContext, input: CreateUserInput): Promise<User> {
  const name = assertNameAcceptable(input.name);
  if (!ROLES.includes(input.role)) throw new AppError('VALIDATION_FAILED', 'Unknown role', { field: 'role' });
  assertPasswordAcceptable(ctx, input.password, name);
  if (await findUserByName(ctx, name)) throw new AppError('CONFLICT', 'A user with that name exists');
  const passwordHash = await ctx.passwords.hash(input.password);
  const now = ctx.now();
  const row: UserRow = { id: randomUUID(), name, password_hash: passwordHash, role: input.role, created_at: now, updated_at: now };
  try {
    await ctx.db.insertInto('identity_users').values(row).execute();
  } catch (err) {
    if (await findUserByName(ctx, name)) throw new AppError('CONFLICT', 'A user with that name exists');
    throw err;
  }
  await record(ctx, {
    actor: input.actorId ? { type: 'user', id: input.actorId } : { type: 'system' },
    action: 'user.create',
    target: row.id,
    outcome: 'success',
    details: { name, role: input.role },
  });
  return toUser(row);
}

export async function findUserByName(ctx: IdentityContext, name: string): Promise<User | undefined> {
  const row = await ctx.db.selectFrom('identity_users').selectAll().where('name', '=', normalizeName(name)).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

export async function findUserById(ctx: IdentityContext, id: string): Promise<User | undefined> {
  const row = await ctx.db.selectFrom('identity_users').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toUser(row) : undefined;
}

export async function listUsers(ctx: IdentityContext): Promise<User[]> {
  const rows = await ctx.db.selectFrom('identity_users').selectAll().orderBy('created_at').orderBy('name').execute();
  return rows.map(toUser);
}

export async function countOwners(ctx: IdentityContext): Promise<number> {
  const row = await ctx.db
    .selectFrom('identity_users')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('role', '=', 'owner')
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Changes a role; the last owner cannot be demoted (nobody could administer Hearth). */
export async function setRole(ctx: IdentityContext, userId: string, role: Role, actorId: string): Promise<User> {
  const user = await findUserById(ctx, userId);
  if (!user) throw new AppError('NOT_FOUND', 'User not found');
  if (user.role === 'owner' && role !== 'owner' && (await countOwners(ctx)) <= 1)
    throw new AppError('CONFLICT', 'The last owner cannot be demoted');
  await ctx.db.updateTable('identity_users').set({ role, updated_at: ctx.now() }).where('id', '=', userId).execute();
  await record(ctx, {
    actor: { type: 'user', id: actorId },
    action: 'user.role',
    target: userId,
    outcome: 'success',
    details: { from: user.role, to: role },
  });
  return { ...user, role };
}

/** Stored password hash, for login only. */
export async function passwordHashOf(ctx: IdentityContext, userId: string): Promise<string | null> {
  const row = await ctx.db.selectFrom('identity_users').select('password_hash').where('id', '=', userId).executeTakeFirst();
  return row?.password_hash ?? null;
}
