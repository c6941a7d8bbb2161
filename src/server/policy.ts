import type { FastifyRequest } from 'fastify';
import type { Principal, Role, Scope } from '../core/index.js';

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
