import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * CSRF protection for cookie-authenticated state changes (AUTH-4): a token bound to the session
 * (HMAC of the session secret, so nothing extra is stored) plus an Origin allowlist.
 */
export const CSRF_HEADER = 'x-csrf-token';

/** The CSRF token of a session; the web app sends it back in X-CSRF-Token. */
export function csrfTokenFor(sessionToken: string): string {
  return createHmac('sha256', sessionToken).update('hearth-csrf-v1').digest('base64url');
}

export function csrfTokenMatches(sessionToken: string, presented: string | undefined): boolean {
  if (!presented) return false;
  const expected = Buffer.from(csrfTokenFor(sessionToken));
  const given = Buffer.from(presented);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** Methods that never change state and so need no CSRF proof. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/**
 * Whether the request's Origin is this server itself or an allowed origin. A missing Origin is
 * refused: every browser sends one on cross-site and same-site state changes made by fetch or forms.
 */
export function originAllowed(origin: string | undefined, selfOrigin: string, allowed: readonly string[]): boolean {
  if (!origin || origin === 'null') return false;
  return origin === selfOrigin || allowed.includes(origin);
}
