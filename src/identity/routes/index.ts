import type { Config } from '../../config/index.js';
import type { RouteModule } from '../../core/index.js';
import type { IdentityService } from '../service.js';
import { registerAuthRoutes } from './auth.js';
import { registerKeyRoutes } from './keys.js';
import { registerUserRoutes } from './users.js';

/** Every identity route: setup, auth, users, keys. */
export function identityRoutes(deps: { identity: IdentityService; config: Config; allowedOrigins: readonly string[] }): RouteModule {
  return (app) => {
    registerAuthRoutes(app, deps);
    registerUserRoutes(app, deps);
    registerKeyRoutes(app, deps);
  };
}
