export { createTwitchAdapter } from './adapter.js';
