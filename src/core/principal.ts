import type { FastifyRequest } from 'fastify';

export type Role = 'owner' | 'admin' | 'member';
export type Scope = 'read' | 'write' | 'chat' | 'admin';

export const ROLES: readonly Role[] = ['member', 'admin', 'owner'];
export const SCOPES: readonly Scope[] = ['read', 'write', 'chat', 'admin'];

/** Who is calling, established only from a verified credential. */
export interface Principal {
  readonly userId: string;
  readonly role: Role;
  /** How the caller proved who they are. */
  readonly kind: 'session' | 'api_key' | 'jwt';
  /** Scopes granted by the credential; sessions and JWTs hold every scope their role allows. */
  readonly scopes: readonly Scope[] | 'all';
  /** Id of the session, key or token subject, for audit and revocation. */
  readonly credentialId: string;
}

export function roleAtLeast(actual: Role, needed: Role): boolean {
  return ROLES.indexOf(actual) >= ROLES.indexOf(needed);
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes === 'all' || principal.scopes.includes(scope);
}

/**
 * Resolves the caller from the request's credentials. Returns null when none is presented;
 * throws an AppError (401) when one is presented but invalid, so a bad credential never
 * falls through to a weaker one.
 */
export type Authenticator = (request: FastifyRequest) => Promise<Principal | null>;
