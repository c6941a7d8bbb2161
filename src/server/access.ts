import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, hasScope, roleAtLeast, type Authenticator } from '../core/index.js';
import type { RoutePolicy } from './policy.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time check of the operator's service key (HTTP-7). */
export function serviceKeyMatches(presented: string | undefined, configured: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(configured));
}

/** Throws at start-up when a route has no policy, or a body schema that accepts unknown fields. */
export function checkRouteDeclaration(route: {
  method: string | string[];
  url: string;
  config?: unknown;
  schema?: { body?: unknown };
}): void {
  const policy = (route.config as { policy?: RoutePolicy } | undefined)?.policy;
  if (!policy) throw new Error(`route ${String(route.method)} ${route.url} declares no access policy`);
  const body = route.schema?.body;
  if (body instanceof z.ZodObject) {
    const catchall = body.def.catchall;
    if (!catchall || catchall._zod.def.type !== 'never')
      throw new Error(`route ${String(route.method)} ${route.url} has a body schema that accepts unknown fields; use z.strictObject`);
  }
}

/** Enforces a route's declared policy; sets request.principal for signed routes. */
export async function enforcePolicy(request: FastifyRequest, authenticate: Authenticator, serviceKey: string | undefined): Promise<void> {
  const policy = request.routeOptions.config.policy;
  request.principal = null;
  if (!policy) throw new AppError('NOT_FOUND', 'Not found');
  if (policy.access === 'public') {
    // Public routes still learn who is calling when a valid credential is sent (e.g. the session check).
    request.principal = await authenticate(request).catch(() => null);
    return;
  }
  if (policy.access === 'service') {
    if (!serviceKey) throw new AppError('UNAVAILABLE', 'Not configured: set HEARTH_SERVICE_KEY');
    const header = request.headers['x-api-key'];
    if (!serviceKeyMatches(Array.isArray(header) ? header[0] : header, serviceKey))
      throw new AppError('UNAUTHENTICATED', 'Invalid service key');
    return;
  }
  const principal = await authenticate(request);
  if (!principal) throw new AppError('UNAUTHENTICATED', 'Authentication required');
  if (!roleAtLeast(principal.role, policy.role)) throw new AppError('FORBIDDEN', 'Insufficient role');
  if (!hasScope(principal, policy.scope)) throw new AppError('FORBIDDEN', `Credential lacks the ${policy.scope} scope`);
  request.principal = principal;
}
