export { createTelegramAdapter } from './adapter.js';
export { createFamiliarBots, FAMILIAR_BOT_TOKEN_COLUMN, type FamiliarBots } from './familiar-bots.js';
