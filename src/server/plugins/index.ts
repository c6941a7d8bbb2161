import type { Config } from '../../config/index.js';
import type { Logger } from '../../logging/index.js';
import type { HearthRateLimiter } from '../../security/ratelimit/index.js';
import type { ServerModule } from '../app.js';
import { registerCatalogue } from './catalogue.js';
import { registerHeaders } from './headers.js';
import { registerObservability } from './observability.js';
import { registerRateLimits } from './ratelimit.js';

export { CSP_DIRECTIVES, PERMISSIONS_POLICY, HSTS, CORS_METHODS, CORS_HEADERS } from './headers.js';
export { isLimitedPath } from './ratelimit.js';
export type { RouteEntry } from './catalogue.js';

/** The armour around every request: headers, CORS, rate limits, observability (HTTP-1/2/3/7). */
export function httpArmour(deps: { config: Pick<Config, 'HEARTH_ALLOWED_ORIGINS'>; limiter: HearthRateLimiter; logger: Logger }): ServerModule {
  return async (app) => {
    registerCatalogue(app);
    await registerHeaders(app, deps.config.HEARTH_ALLOWED_ORIGINS);
    registerRateLimits(app, deps.limiter);
    registerObservability(app);
  };
}
