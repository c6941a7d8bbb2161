import type { RouteModule } from '../../core/index.js';
import { registerCatalogue } from './catalogue.js';
import { registerHeaders } from './headers.js';
import { registerObservability } from './observability.js';
import { registerRateLimits, type ArmourLimiter } from './ratelimit.js';

export type { ArmourLimiter } from './ratelimit.js';

/** The armour around every request: headers, CORS, rate limits, observability (HTTP-1/2/3/7). */
export function httpArmour(deps: { allowedOrigins: readonly string[]; limiter: ArmourLimiter }): RouteModule {
  return async (app) => {
    registerCatalogue(app);
    await registerHeaders(app, deps.allowedOrigins);
    registerRateLimits(app, deps.limiter);
    registerObservability(app);
  };
}
