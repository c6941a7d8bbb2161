export { createTelegramAdapter } from './adapter.js';
export { createFamiliarBots, FAMILIAR_BOT_TOKEN_COLUMN, familiarBotMigrations, type FamiliarBots } from './familiar-bots.js';
export { familiarBotRoutes } from './routes.js';
