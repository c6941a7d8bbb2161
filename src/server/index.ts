import type { createServer as build } from './app.js';

/**
 * Builds the HTTP app. Fastify and its plugins load here, not with this module: every route file
 * imports `policy` from it, and a CLI command that opens Hearth (routes and all) never serves.
 */
export const createServer: typeof build = async (options) => (await import('./app.js')).createServer(options);
export { policy, requirePrincipal } from './policy.js';
