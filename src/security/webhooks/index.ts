export { webhookMigrations } from './migrations.js';
export { checkSignature, signWebhook, signatureHeader, WEBHOOK_WINDOW_SECONDS } from './signature.js';
export type { SignatureCheck } from './signature.js';
export { databaseReplayCache, redisReplayCache } from './replay.js';
export type { ReplayCache } from './replay.js';
export { createWebhookService, replayId, WEBHOOK_SECRETS_COLUMN, WEBHOOK_NAME } from './service.js';
export type { WebhookService, WebhookHandler } from './service.js';
export { webhookRoutes } from './routes.js';
export { webhooksPlugin } from './plugin.js';
