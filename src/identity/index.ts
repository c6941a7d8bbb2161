export { identityPlugin } from './plugin.js';
