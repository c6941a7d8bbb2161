export { createChannelsService } from './service.js';
export type { ChannelsService, ChannelsOptions } from './service.js';
export { channelRoutes } from './routes.js';
export { channelMigrations } from './core/index.js';
export { personCommandsOver } from './person-commands.js';
export type { PersonMemoryPort } from './person-commands.js';
export { channelsPlugin } from './plugin.js';
