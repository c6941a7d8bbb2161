export { createServer } from './app.js';
export type { HearthApp, ServerModule, ServerOptions } from './app.js';
export { AppError, isAppError, notFound, forbidden, unauthenticated, badRequest, ERROR_STATUS } from './errors.js';
export type { ErrorCode } from './errors.js';
export { policy, roleAtLeast, hasScope, requirePrincipal, ROLES, SCOPES } from './policy.js';
export type { Role, Scope, Principal, RoutePolicy, Authenticator } from './policy.js';
export { serviceKeyMatches } from './access.js';
export { requestIdFrom } from './request-id.js';
