import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../logging/index.js';
import type { AuditLog } from '../security/audit/index.js';
import type { PasswordPolicy } from '../security/passwords/index.js';
import type { HearthRateLimiter } from '../security/ratelimit/index.js';
import { AppError, type Principal, type Role, type Scope } from '../core/index.js';
import { record, type ApiKeyInfo, type IdentityContext, type SessionInfo, type User } from './context.js';
import type { JwtVerifier } from './jwt.js';
import { createJwtPeople, linkJwtSubject } from './jwt-links.js';
import { createCredentialLookup } from './lookup.js';
import * as keys from './keys.js';
import { login, type LoginInput } from './login.js';
import * as passwords from './passwords.js';
import * as sessions from './sessions.js';
import type { IdentityDb } from './tables.js';
import * as tokens from './tokens.js';
import * as users from './users.js';

/** Identity as the rest of Hearth sees it: people, keys, sessions, one-time links. */
export interface IdentityService {
  createUser(input: { name: string; password: string; role: Role; actorId?: string }): Promise<User>;
  findUserByName(name: string): Promise<User | undefined>;
  findUserById(id: string): Promise<User | undefined>;
  listUsers(): Promise<User[]>;
  setRole(userId: string, role: Role, actorId: string): Promise<User>;
  /** A person changes their own password (current one required; failures count like logins; other sessions end). */
  changePassword(userId: string, current: string, next: string, attempt?: passwords.PasswordAttempt): Promise<void>;
  /** The operator sets a password at the terminal (`hearth users passwd`); every session of the person ends. */
  setPassword(userId: string, password: string, via: string): Promise<{ sessionsRevoked: number }>;
  /** An owner's one-time password-reset link for another person (1 h, single use). */
  issuePasswordReset(targetId: string, actorId: string): Promise<{ token: string; id: string; expiresAt: number; user: User }>;
  /** Sets a new password with a reset link; every session of the person ends. */
  completePasswordReset(token: string, password: string, attempt?: passwords.PasswordAttempt): Promise<User>;
  hasOwner(): Promise<boolean>;
  createApiKey(input: {
    userId: string;
    scopes: readonly Scope[];
    expiresAt?: number | null;
    name?: string;
    actorId?: string;
  }): Promise<{ key: string; id: string; info: ApiKeyInfo }>;
  listApiKeys(userId?: string): Promise<ApiKeyInfo[]>;
  findApiKey(id: string): Promise<ApiKeyInfo | undefined>;
  revokeApiKey(id: string, actorId?: string): Promise<boolean>;
  login(input: LoginInput): Promise<{ user: User; token: string; session: SessionInfo }>;
  createSession(userId: string, meta?: { ip?: string; userAgent?: string }): Promise<{ token: string; session: SessionInfo }>;
  listSessions(userId: string): Promise<SessionInfo[]>;
  revokeSession(userId: string, sessionId: string, actorId?: string): Promise<boolean>;
  revokeAllSessions(userId: string, reason: string, except?: string): Promise<number>;
  /** A one-time setup link token while no owner exists (AUTH-1); undefined once one does. `via` is audited. */
  issueSetupToken(via?: string): Promise<{ token: string; expiresAt: number } | undefined>;
  /** Creates the first owner with a setup token (single use, 1 h). */
  completeSetup(token: string, name: string, password: string): Promise<User>;
  issueInvite(role: Role, actorId: string, ttlMs?: number): Promise<{ token: string; id: string; expiresAt: number }>;
  acceptInvite(token: string, name: string, password: string): Promise<User>;
  /** Links a JWT subject of the configured issuer to a Hearth user (AUTH-6); `issuer`, when given, must be that one. */
  linkJwtSubject(userId: string, subject: string, options?: { issuer?: string | undefined; actorId?: string | undefined }): Promise<void>;
  authenticateApiKey(key: string): Promise<Principal>;
  authenticateSession(token: string): Promise<Principal>;
  authenticateJwt(token: string): Promise<Principal>;
}

export interface IdentityOptions {
  readonly db: IdentityDb;
  /** Raw SQLite handle for the hot credential lookups (undefined on PostgreSQL). */
  readonly sqlite?: BetterSqlite3.Database | undefined;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly passwords: PasswordPolicy;
  readonly limiter: HearthRateLimiter;
  readonly now: () => number;
  readonly sessionIdleMs: number;
  readonly sessionAbsoluteMs: number;
  readonly jwt?: { readonly issuer: string; readonly verify: JwtVerifier; readonly autoProvision?: 'off' | 'member' } | undefined;
}

/** Builds the identity service over its tables. */
export function createIdentityService(options: IdentityOptions): IdentityService {
  const ctx: IdentityContext = { ...options, lookup: createCredentialLookup(options.db, options.sqlite) };
  const { limiter, jwt } = options;
  const linking = jwt ? { issuer: jwt.issuer, autoProvision: jwt.autoProvision ?? 'off' } : undefined;
  const jwtPeople = linking ? createJwtPeople(ctx, linking) : undefined;
  return {
    createUser: (input) => users.createUser(ctx, input),
    findUserByName: (name) => users.findUserByName(ctx, name),
    findUserById: (id) => users.findUserById(ctx, id),
    listUsers: () => users.listUsers(ctx),
    setRole: (userId, role, actorId) => users.setRole(ctx, userId, role, actorId),
    changePassword: (userId, current, next, attempt) => passwords.changePassword(ctx, limiter, userId, current, next, attempt),
    setPassword: (userId, password, via) => passwords.setPassword(ctx, userId, password, via),
    issuePasswordReset: (targetId, actorId) => passwords.issuePasswordReset(ctx, targetId, actorId),
    completePasswordReset: (token, password, attempt) => passwords.completePasswordReset(ctx, token, password, attempt),
    hasOwner: async () => (await users.countOwners(ctx)) > 0,
    createApiKey: (input) => keys.createApiKey(ctx, input),
    listApiKeys: (userId) => keys.listApiKeys(ctx, userId),
    findApiKey: (id) => keys.findApiKey(ctx, id),
    revokeApiKey: (id, actorId) => keys.revokeApiKey(ctx, id, actorId),
    login: (input) => login(ctx, limiter, input),
    createSession: (userId, meta) => sessions.createSession(ctx, userId, meta),
    listSessions: (userId) => sessions.listSessions(ctx, userId),
    revokeSession: (userId, sessionId, actorId) => sessions.revokeSession(ctx, userId, sessionId, actorId),
    revokeAllSessions: (userId, reason, except) => sessions.revokeAllSessions(ctx, userId, reason, except),
    async issueSetupToken(via = 'start') {
      if ((await users.countOwners(ctx)) > 0) return undefined;
      const { token, id, expiresAt } = await tokens.issueToken(ctx, 'setup', 'owner', tokens.SETUP_TOKEN_TTL_MS, null);
      await record(ctx, { actor: { type: 'system' }, action: 'setup.token', target: id, outcome: 'success', details: { via, expiresAt } });
      return { token, expiresAt };
    },
    async completeSetup(token, name, password) {
      if ((await users.countOwners(ctx)) > 0) throw new AppError('CONFLICT', 'Setup is already complete');
      users.assertPasswordAcceptable(ctx, password, name);
      await tokens.consumeToken(ctx, 'setup', token);
      const user = await users.createUser(ctx, { name, password, role: 'owner' });
      await tokens.expireSetupTokens(ctx);
      await record(ctx, { actor: { type: 'user', id: user.id }, action: 'setup.complete', target: user.id, outcome: 'success' });
      return user;
    },
    async issueInvite(role, actorId, ttlMs = tokens.INVITE_TTL_MS) {
      const actor = await users.findUserById(ctx, actorId);
      if (!actor) throw new AppError('NOT_FOUND', 'User not found');
      if (role === 'owner' && actor.role !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner may invite an owner');
      const issued = await tokens.issueToken(ctx, 'invite', role, ttlMs, actorId);
      await record(ctx, {
        actor: { type: 'user', id: actorId },
        action: 'user.invite',
        target: issued.id,
        outcome: 'success',
        details: { role },
      });
      return issued;
    },
    async acceptInvite(token, name, password) {
      // The token first: without a valid invite every name gets the same 401, so nobody can probe
      // which names exist (#15). With one, a bad or taken name or a weak password does not spend it.
      const invite = await tokens.consumeToken(ctx, 'invite', token, async () => {
        users.assertNameAcceptable(name);
        users.assertPasswordAcceptable(ctx, password, name);
        if (await users.findUserByName(ctx, name)) throw new AppError('CONFLICT', 'A user with that name exists');
      });
      return users.createUser(ctx, { name, password, role: invite.role, ...(invite.createdBy ? { actorId: invite.createdBy } : {}) });
    },
    linkJwtSubject: (userId, subject, linkOptions) => linkJwtSubject(ctx, linking, userId, subject, linkOptions),
    authenticateApiKey: (key) => keys.authenticateApiKey(ctx, key),
    authenticateSession: (token) => sessions.authenticateSession(ctx, token),
    async authenticateJwt(token) {
      if (!jwt) throw new AppError('UNAUTHENTICATED', 'Bearer tokens are not accepted here');
      const { issuer, subject } = await jwt.verify(token);
      const row = await jwtPeople!.personOf(subject);
      return { userId: row.id, role: row.role, kind: 'jwt', scopes: 'all', credentialId: `${issuer}#${subject}` };
    },
  };
}
