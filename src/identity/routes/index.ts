import type { Config } from '../../config/index.js';
import type { ServerModule } from '../../server/index.js';
import type { IdentityService } from '../service.js';
import { registerAuthRoutes } from './auth.js';
import { registerKeyRoutes } from './keys.js';
import { registerUserRoutes } from './users.js';

/** Every identity route: setup, auth, users, keys. */
export function identityRoutes(deps: { identity: IdentityService; config: Config; allowedOrigins: readonly string[] }): ServerModule {
  return (app) => {
    registerAuthRoutes(app, deps);
    registerUserRoutes(app, deps);
    registerKeyRoutes(app, deps);
  };
}
