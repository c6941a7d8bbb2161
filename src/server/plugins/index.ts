import type { Gauge, RouteModule } from '../../core/index.js';
import { registerCatalogue } from './catalogue.js';
import { registerHeaders } from './headers.js';
import { registerObservability } from './observability.js';
import { registerRateLimits, type ArmourLimiter } from './ratelimit.js';

export type { ArmourLimiter } from './ratelimit.js';

/** The armour around every request: headers, CORS, rate limits, observability (HTTP-1/2/3/7). */
export function httpArmour(deps: {
  allowedOrigins: readonly string[];
  limiter: ArmourLimiter;
  /** Prometheus metrics (prom-client); only with HEARTH_SERVICE_KEY, without which /metrics answers 503. */
  prometheus: boolean;
  gauges: () => readonly Gauge[];
  /** Labels every metric (`replica="…"`), so series from several replicas stay apart. */
  replica?: string;
}): RouteModule {
  return async (app) => {
    registerCatalogue(app);
    await registerHeaders(app, deps.allowedOrigins);
    registerRateLimits(app, deps.limiter);
    await registerObservability(app, { prometheus: deps.prometheus, gauges: deps.gauges, replica: deps.replica });
  };
}
