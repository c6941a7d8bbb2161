export { createDiscordAdapter } from './adapter.js';
export { discordInviteUrl } from './commands.js';
