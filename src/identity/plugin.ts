import { definePlugin, type KernelConfig } from '../core/index.js';
import { createPasswordPolicy } from '../security/passwords/index.js';
import { createAuthenticator } from './authenticator.js';
import { createJwtVerifier } from './jwt.js';
import { LOGIN_BUDGET, LOGIN_FAILURE_BUDGET } from './login.js';
import { identityMigrations } from './migrations.js';
import { identityPersonData } from './person-data.js';
import { identityRoutes } from './routes/index.js';
import { createIdentityService, type IdentityService } from './service.js';
import type { IdentityTables } from './tables.js';

declare module '../core/plugin.js' {
  interface Services {
    /** People, roles, sessions, API keys, setup and invite links (AUTH-1..7). */
    identity: IdentityService;
  }
}

/** The per-minute budgets of HTTP-3, from configuration. */
function httpBudgets(config: KernelConfig) {
  const perMinute = (points: number) => ({ points, durationSec: 60 });
  return {
    'anon.probe': perMinute(config.HEARTH_RATE_ANON_PROBES),
    'anon.read': perMinute(config.HEARTH_RATE_ANON_READS),
    'anon.write': perMinute(config.HEARTH_RATE_ANON_WRITES),
    'user.read': perMinute(config.HEARTH_RATE_USER_READS),
    'user.write': perMinute(config.HEARTH_RATE_USER_WRITES),
    'user.chat': perMinute(config.HEARTH_RATE_CHAT_TURNS),
    'auth.fail': perMinute(60),
    [LOGIN_BUDGET]: LOGIN_FAILURE_BUDGET,
  };
}

function jwtSettings(config: KernelConfig) {
  const { HEARTH_JWT_ISSUER: issuer, HEARTH_JWT_AUDIENCE: audience, HEARTH_JWT_JWKS_URL: jwksUrl } = config;
  if (!issuer || !audience || !jwksUrl) return undefined;
  return {
    issuer,
    verify: createJwtVerifier({ issuer, audience, jwksUrl, algorithms: config.HEARTH_JWT_ALGORITHMS }),
    autoProvision: config.HEARTH_JWT_AUTO_PROVISION,
  };
}

/** People and credentials: the identity service, the authenticator every signed route uses, and their routes. */
export const identityPlugin = definePlugin({
  name: 'identity',
  migrations: identityMigrations,
  budgets: httpBudgets,
  init({ config, storage, audit, logger, limiter, now }) {
    const db = storage.db.withTables<IdentityTables>();
    const identity = createIdentityService({
      db,
      sqlite: storage.sqlite,
      audit,
      logger,
      passwords: createPasswordPolicy(),
      limiter,
      now,
      sessionIdleMs: config.HEARTH_SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: config.HEARTH_SESSION_ABSOLUTE_HOURS * 3_600_000,
      jwt: jwtSettings(config),
    });
    const allowedOrigins = [
      ...config.HEARTH_ALLOWED_ORIGINS.filter((o) => o !== '*'),
      ...(config.HEARTH_PUBLIC_URL ? [new URL(config.HEARTH_PUBLIC_URL).origin] : []),
    ];
    return {
      services: { identity },
      authenticator: createAuthenticator({ identity, allowedOrigins }),
      routes: [identityRoutes({ identity, config, allowedOrigins })],
      contributes: { personData: [identityPersonData(db)] },
    };
  },
});
