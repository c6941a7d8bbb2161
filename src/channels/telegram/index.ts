export { createTelegramAdapter } from './adapter.js';
