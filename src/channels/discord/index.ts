export { createDiscordAdapter } from './adapter.js';
export type { DiscordAdapterOptions } from './adapter.js';
export { SLASH_COMMANDS, DISCORD_PERMISSIONS, discordInviteUrl } from './commands.js';
export { discordEntry } from './entry.js';
