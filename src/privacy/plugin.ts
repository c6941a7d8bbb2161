import { definePlugin } from '../core/index.js';
import { privacyRoutes } from './routes.js';
import { createPrivacyService, retentionJob, type PrivacyService } from './service.js';
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
    const privacy = createPrivacyService({
      storage,
      audit,
      logger,
      now,
      personData: () => kernel.contributions('personData'),
      aliasesOf: async (id) => {
        const user = await identity.findUserById(id);
        const identities = (await channels?.identities.list({ userId: id })) ?? [];
        return {
          // As stored, and as a login attempt records it (trimmed, lower case, at most 64 characters).
          names: user ? [...new Set([user.name, user.name.trim().toLowerCase().slice(0, 64)])] : [],
          channelIdentities: identities.map((i) => ({ channel: i.channel, externalId: i.externalId })),
        };
      },
    });
    registerErasureWebhook(kernel.service('webhooks'), {
      erase: (userId) => privacy.erase(userId, { type: 'system' }),
      resolveExternalId: async (channel, externalId) => (await channels?.identities.find(channel, externalId))?.userId,
    });
    const retention = retentionJob({ privacy, days: config.HEARTH_RETENTION_DAYS, logger });
    if (retention) kernel.jobs.define(retention);
    return {
      services: { privacy },
      routes: [
        privacyRoutes({
          privacy,
          audit,
          // A web account, or someone known only on a channel (a `person_…` id with channel identities).
          findPerson: async (id) => {
            const user = await identity.findUserById(id);
            if (user) return { id, role: user.role };
            const linked = (await channels?.identities.list({ userId: id })) ?? [];
            return linked.length > 0 ? { id, role: null } : undefined;
          },
          people: { users: () => identity.listUsers(), identities: async () => (await channels?.identities.list()) ?? [] },
        }),
      ],
    };
  },
});
