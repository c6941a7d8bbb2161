import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditLog } from '../security/audit/index.js';
import { createPasswordPolicy } from '../security/passwords/index.js';
import { createRateLimiter, type HearthRateLimiter } from '../security/ratelimit/index.js';
import type { Authenticator, ServerModule } from '../server/index.js';
import type { Storage } from '../storage/index.js';
import { createAuthenticator } from './authenticator.js';
import { createJwtVerifier } from './jwt.js';
import { LOGIN_BUDGET, LOGIN_FAILURE_BUDGET } from './login.js';
import { identityRoutes } from './routes/index.js';
import { createIdentityService, type IdentityService } from './service.js';
import type { IdentityTables } from './tables.js';
import { httpArmour } from '../server/plugins/index.js';

export interface IdentityWiring {
  readonly identity: IdentityService;
  readonly rateLimiter: HearthRateLimiter;
  readonly authenticate: Authenticator;
  /** Armour first (headers, CORS, limits, metrics), then identity's routes. */
  readonly modules: ServerModule[];
  close(): Promise<void>;
}

/** The per-minute budgets of HTTP-3, from configuration. */
export function httpBudgets(config: Config) {
  const perMinute = (points: number) => ({ points, durationSec: 60 });
  return {
    'anon.probe': perMinute(config.HEARTH_RATE_ANON_PROBES),
    'anon.read': perMinute(config.HEARTH_RATE_ANON_READS),
    'anon.write': perMinute(config.HEARTH_RATE_ANON_WRITES),
    'user.read': perMinute(config.HEARTH_RATE_USER_READS),
    'user.write': perMinute(config.HEARTH_RATE_USER_WRITES),
    'user.chat': perMinute(config.HEARTH_RATE_CHAT_TURNS),
    'chat.turn': perMinute(config.HEARTH_RATE_CHAT_TURNS),
    'auth.fail': perMinute(60),
    [LOGIN_BUDGET]: LOGIN_FAILURE_BUDGET,
  };
}

/** Builds identity, the rate limiter and the authenticator for the composition root. */
export function wireIdentity(deps: { config: Config; storage: Storage; audit: AuditLog; logger: Logger; now: () => number }): IdentityWiring {
  const { config, storage, audit, logger, now } = deps;
  const rateLimiter = createRateLimiter({ budgets: httpBudgets(config), logger, redisUrl: config.HEARTH_REDIS_URL });
  const jwtConfigured = config.HEARTH_JWT_ISSUER && config.HEARTH_JWT_AUDIENCE && config.HEARTH_JWT_JWKS_URL;
  const jwt = jwtConfigured
    ? {
        issuer: config.HEARTH_JWT_ISSUER!,
        verify: createJwtVerifier({
          issuer: config.HEARTH_JWT_ISSUER!,
          audience: config.HEARTH_JWT_AUDIENCE!,
          jwksUrl: config.HEARTH_JWT_JWKS_URL!,
          algorithms: config.HEARTH_JWT_ALGORITHMS,
        }),
      }
    : undefined;
  const identity = createIdentityService({
    db: storage.db.withTables<IdentityTables>(),
    sqlite: storage.sqlite,
    audit,
    logger,
    passwords: createPasswordPolicy(),
    limiter: rateLimiter,
    now,
    sessionIdleMs: config.HEARTH_SESSION_IDLE_MINUTES * 60_000,
    sessionAbsoluteMs: config.HEARTH_SESSION_ABSOLUTE_HOURS * 3_600_000,
    jwt,
  });
  const allowedOrigins = [...config.HEARTH_ALLOWED_ORIGINS.filter((o) => o !== '*'), ...(config.HEARTH_PUBLIC_URL ? [new URL(config.HEARTH_PUBLIC_URL).origin] : [])];
  const authenticate = createAuthenticator({ identity, allowedOrigins });
  const modules: ServerModule[] = [httpArmour({ config, limiter: rateLimiter, logger }), identityRoutes({ identity, config, allowedOrigins })];
  return { identity, rateLimiter, authenticate, modules, close: () => rateLimiter.close() };
}
