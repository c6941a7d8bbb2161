export { createTwitchAdapter } from './adapter.js';
export { type TwitchAdmit } from './roles.js';
