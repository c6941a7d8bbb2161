export { createServer } from './app.js';
export type { ServerOptions } from './app.js';
export { policy, requirePrincipal } from './policy.js';
export type { RoutePolicy } from './policy.js';
export { serviceKeyMatches } from './access.js';
export { requestIdFrom } from './request-id.js';
