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

/**
 * Every route declares one (AUTH-7); start-up fails when a route declares nothing.
 * - public: anyone (a short list: health, setup, login, the web app's static files).
 * - service: the operator's HEARTH_SERVICE_KEY in X-Api-Key (observability, metrics).
 * - signed: a principal with at least `role` and, for scoped credentials, `scope`.
 */
export type RoutePolicy =
  | { readonly access: 'public'; readonly why?: string }
  | { readonly access: 'service' }
  | { readonly access: 'signed'; readonly role: Role; readonly scope: Scope };

export const policy = {
  public: (why?: string): RoutePolicy => ({ access: 'public', ...(why ? { why } : {}) }),
  service: (): RoutePolicy => ({ access: 'service' }),
  member: (scope: Scope): RoutePolicy => ({ access: 'signed', role: 'member', scope }),
  admin: (scope: Scope = 'admin'): RoutePolicy => ({ access: 'signed', role: 'admin', scope }),
  owner: (scope: Scope = 'admin'): RoutePolicy => ({ access: 'signed', role: 'owner', scope }),
};

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

declare module 'fastify' {
  interface FastifyContextConfig {
    policy?: RoutePolicy;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** The signed-in principal of a route whose policy guarantees one. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route without a signed policy asked for a principal');
  return request.principal;
}
