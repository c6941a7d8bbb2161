export { signWebhook, signatureHeader } from './signature.js';
export { redisReplayCache } from './replay.js';
export type { WebhookService } from './service.js';
export { webhooksPlugin } from './plugin.js';
