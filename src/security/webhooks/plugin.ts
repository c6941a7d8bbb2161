import { definePlugin } from '../../core/index.js';
import { registerInvalidateWebhook } from './builtins.js';
import { webhookMigrations } from './migrations.js';
import { databaseReplayCache, redisReplayCache } from './replay.js';
import { webhookRoutes } from './routes.js';
import { createWebhookService, WEBHOOK_SECRETS_COLUMN, type WebhookService } from './service.js';

declare module '../../core/plugin.js' {
  interface Services {
    /** Signed inbound webhooks (HOOK-1): `handle(name, fn)`; secrets via `hearth webhooks add`. */
    webhooks: WebhookService;
  }
}

/** Signed inbound webhooks: the service later plugins add handlers to, and the route that checks signatures. */
export const webhooksPlugin = definePlugin({
  name: 'webhooks',
  migrations: webhookMigrations,
  sealedColumns: [WEBHOOK_SECRETS_COLUMN],
  init(kernel) {
    const { config, storage, vault, audit, now } = kernel;
    const replay = config.HEARTH_REDIS_URL ? redisReplayCache(config.HEARTH_REDIS_URL) : databaseReplayCache(storage, now);
    const webhooks = createWebhookService({ storage, vault, audit, replay, now });
    registerInvalidateWebhook(webhooks, () => kernel.contributions('invalidators'));
    return {
      services: { webhooks },
      routes: [webhookRoutes({ webhooks, audit, maxBytes: config.HEARTH_WEBHOOK_MAX_BYTES, now })],
      close: () => replay.close(),
    };
  },
});
