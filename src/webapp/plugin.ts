import { definePlugin, type RouteModule } from '../core/index.js';
import { pairingEventRoutes } from './routes/pairing-events.js';
import { hasWebBuild, webAppRoutes } from './serve.js';

/** The dashboard and chat, served from web/dist under a strict CSP. Listed last: its catch-all GET never shadows an API route. */
export const webAppPlugin = definePlugin({
  name: 'webapp',
  init(kernel) {
    const { config, logger } = kernel;
    // The web app's live feeds are API routes: they stay when the app itself is served elsewhere.
    const channels = kernel.optional('channels');
    const live: RouteModule[] = channels ? [pairingEventRoutes(() => channels.hub.pending())] : [];
    if (!config.HEARTH_SERVE_WEB) return { routes: live };
    if (!hasWebBuild()) {
      logger.warn('web app not built (web/dist missing); run `npm run build:web`');
      return { routes: live };
    }
    return { routes: [...live, webAppRoutes()] };
  },
});
