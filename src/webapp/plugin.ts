import { definePlugin } from '../core/index.js';
import { hasWebBuild, webAppRoutes } from './serve.js';

/** The dashboard and chat, served from web/dist under a strict CSP. Listed last: its catch-all GET never shadows an API route. */
export const webAppPlugin = definePlugin({
  name: 'webapp',
  init({ config, logger }) {
    if (!config.HEARTH_SERVE_WEB) return {};
    if (!hasWebBuild()) {
      logger.warn('web app not built (web/dist missing); run `npm run build:web`');
      return {};
    }
    return { routes: [webAppRoutes()] };
  },
});
