import type { JWTVerifyGetKey } from 'jose';
import { AppError } from '../core/index.js';

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** Algorithm allowlist; `none` and HMAC algorithms are never accepted with a JWKS. */
  readonly algorithms: readonly string[];
  readonly clockToleranceSec?: number;
}

export type JwtVerifier = (token: string) => Promise<{ issuer: string; subject: string }>;

const REFUSED = new Set(['none', 'HS256', 'HS384', 'HS512']);

/** Verifies bearer JWTs locally against the provider's JWKS (AUTH-6); any failure is a 401. */
export function createJwtVerifier(settings: JwtSettings, keys?: JWTVerifyGetKey): JwtVerifier {
  const algorithms = settings.algorithms.filter((a) => !REFUSED.has(a));
  if (algorithms.length === 0) throw new Error('HEARTH_JWT_ALGORITHMS allows no asymmetric algorithm');
  let getKey = keys;
  return async (token) => {
    // jose loads with the first bearer token, not at start.
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    getKey ??= createRemoteJWKSet(new URL(settings.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 });
    try {
      const { payload } = await jwtVerify(token, getKey, {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms,
        clockTolerance: settings.clockToleranceSec ?? 30,
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub.length === 0) throw new Error('no subject');
      return { issuer: settings.issuer, subject: payload.sub };
    } catch {
      throw new AppError('UNAUTHENTICATED', 'Invalid bearer token');
    }
  };
}
