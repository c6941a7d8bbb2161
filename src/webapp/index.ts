export { IMMUTABLE_CACHE } from './serve.js';
export { WEB_APP_CSP } from './csp.js';
export { webAppPlugin } from './plugin.js';
