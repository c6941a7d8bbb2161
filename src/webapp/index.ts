export { webAppRoutes, hasWebBuild, isApiPath, DEFAULT_WEB_DIST, IMMUTABLE_CACHE, REVALIDATE_CACHE } from './serve.js';
export type { WebAppOptions } from './serve.js';
export { WEB_APP_CSP } from './csp.js';
export { webAppPlugin } from './plugin.js';
