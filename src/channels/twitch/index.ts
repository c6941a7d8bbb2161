export { createTwitchAdapter, TWITCH_SCOPES, ASK_PREFIX } from './adapter.js';
export type { TwitchAdapterOptions } from './adapter.js';
export { twitchEntry } from './entry.js';
