export { createFamiliarRouter, familiarRouteData } from './router.js';
export type { FamiliarRouter } from './router.js';
export { familiarRouteMigrations } from './migrations.js';
export type { FamiliarRouteTables } from './tables.js';
export { familiarRouteRoutes } from './routes.js';
export type { TwitchChannelRoute } from './twitch-channels.js';
