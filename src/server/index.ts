export { createServer } from './app.js';
export { policy, requirePrincipal } from './policy.js';
