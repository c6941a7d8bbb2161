import { definePlugin } from '../core/index.js';
import { privacyRoutes } from './routes.js';
import { createPrivacyService, startRetention, type PrivacyService } from './service.js';
import { registerErasureWebhook } from './webhook.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Export and erasure of a person (DATA-5). */
    privacy: PrivacyService;
  }
}

/**
 * Export, erasure (the route and the signed webhook) and retention, over every plugin's
 * personData hooks: a new concern with personal data needs no edit here.
 */
export const privacyPlugin = definePlugin({
  name: 'privacy',
  init(kernel) {
    const { storage, audit, logger, config, now } = kernel;
    const identity = kernel.service('identity');
    const channels = kernel.optional('channels');
    const privacy = createPrivacyService({ storage, audit, logger, now, personData: () => kernel.contributions('personData') });
    registerErasureWebhook(kernel.service('webhooks'), {
      erase: (userId) => privacy.erase(userId, { type: 'system' }),
      resolveExternalId: async (channel, externalId) => (await channels?.identities.find(channel, externalId))?.userId,
    });
    const stopRetention = startRetention({ privacy, days: config.HEARTH_RETENTION_DAYS, logger });
    return {
      services: { privacy },
      routes: [privacyRoutes({ privacy, audit, userExists: async (id) => (await identity.findUserById(id)) !== undefined })],
      close: stopRetention,
    };
  },
});
