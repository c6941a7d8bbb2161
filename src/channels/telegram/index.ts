export { createTelegramAdapter } from './adapter.js';
export type { TelegramAdapterOptions } from './adapter.js';
export { telegramEntry } from './entry.js';
