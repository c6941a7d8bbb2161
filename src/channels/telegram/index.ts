export { createTelegramAdapter } from './adapter.js';
export type { TelegramAdapterOptions } from './adapter.js';
