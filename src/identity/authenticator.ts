import type { FastifyRequest } from 'fastify';
import { AppError, type Authenticator, type Principal } from '../core/index.js';
import { csrfTokenMatches, CSRF_HEADER, isSafeMethod, originAllowed } from '../security/csrf/index.js';
import type { IdentityService } from './service.js';
import { API_KEY_PREFIX } from './secrets.js';

export const SESSION_COOKIE = '__Host-hearth';

export interface AuthenticatorOptions {
  readonly identity: IdentityService;
  /** Browser origins allowed besides the server's own (HEARTH_ALLOWED_ORIGINS, HEARTH_PUBLIC_URL). */
  readonly allowedOrigins: readonly string[];
}

function header(request: FastifyRequest, name: string): string | undefined {
  const v = request.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** The session token from the Cookie header, if any. */
export function sessionTokenOf(request: FastifyRequest): string | undefined {
  const cookie = header(request, 'cookie');
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** This server's own origin as the browser sees it. */
function selfOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`;
}

/** Refuses credentials in the URL (AUTH-5; the CVE-2026-25253 mistake): they end up in logs and history. */
function refuseCredentialsInUrl(request: FastifyRequest): void {
  const q = request.url.indexOf('?');
  if (q < 0) return;
  const query = request.url.slice(q + 1);
  if (/(^|&)(api_?key|key|token|access_token|session|auth)=/i.test(query) || query.includes(API_KEY_PREFIX))
    throw new AppError('BAD_REQUEST', 'Credentials are not accepted in the URL; use the Authorization or X-Api-Key header');
}

/**
 * Resolves the caller (AUTH-5, AUTH-6, AUTH-2): bearer JWT first, then API key, then session
 * cookie. Identity headers such as X-User-ID are never read. A presented but invalid credential
 * throws 401; cookie-authenticated state changes need the CSRF token and an allowed Origin.
 */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { identity } = options;
  return async (request): Promise<Principal | null> => {
    refuseCredentialsInUrl(request);
    const authorization = header(request, 'authorization');
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      if (!match) throw new AppError('UNAUTHENTICATED', 'Unsupported Authorization header');
      const token = match[1]!;
      if (token.startsWith(API_KEY_PREFIX)) return identity.authenticateApiKey(token);
      return identity.authenticateJwt(token);
    }
    const apiKey = header(request, 'x-api-key');
    if (apiKey !== undefined && apiKey.startsWith(API_KEY_PREFIX)) return identity.authenticateApiKey(apiKey);
    const sessionToken = sessionTokenOf(request);
    if (sessionToken === undefined) return null;
    const principal = await identity.authenticateSession(sessionToken);
    if (!isSafeMethod(request.method)) {
      if (!originAllowed(header(request, 'origin'), selfOrigin(request), options.allowedOrigins))
        throw new AppError('CSRF_FAILED', 'Cross-site request refused (Origin not allowed)');
      if (!csrfTokenMatches(sessionToken, header(request, CSRF_HEADER)))
        throw new AppError('CSRF_FAILED', 'Missing or invalid CSRF token (X-CSRF-Token)');
    }
    return principal;
  };
}
