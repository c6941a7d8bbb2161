import { AppError, type RouteModule } from '../../core/index.js';
import { policy } from '../../server/index.js';
import type { AuditLog } from '../audit/index.js';
import { replayId, WEBHOOK_NAME, type WebhookService } from './service.js';
import { checkSignature, WEBHOOK_WINDOW_SECONDS } from './signature.js';

const REPLAY_TTL_MS = 2 * WEBHOOK_WINDOW_SECONDS * 1000 + 60_000;

/**
 * POST /api/webhooks/:name (HOOK-1). Public in the policy sense, because the signature is the
 * credential: no secret configured → 404 and nothing done; every request, loopback included,
 * must carry a valid, fresh, unseen `Hearth-Signature` over the raw body bytes.
 */
export function webhookRoutes(options: { webhooks: WebhookService; audit: AuditLog; maxBytes: number; now?: () => number }): RouteModule {
  const { webhooks, audit, maxBytes } = options;
  const now = options.now ?? Date.now;
  return async (app) => {
    await app.register(async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
      scope.post<{ Params: { name: string } }>(
        '/api/webhooks/:name',
        { config: { policy: policy.public('signed webhook: the HMAC signature is checked in the handler') }, bodyLimit: maxBytes },
        async (request, reply) => {
          const { name } = request.params;
          const actor = { type: 'anonymous' as const, ip: request.ip };
          const handler = WEBHOOK_NAME.test(name) ? webhooks.handler(name) : undefined;
          const secret = handler ? await webhooks.secretOf(name) : undefined;
          if (!handler || !secret) throw new AppError('NOT_FOUND', 'Not found');
          const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const header = request.headers['hearth-signature'];
          const check = checkSignature(Array.isArray(header) ? header[0] : header, secret, body, now());
          if (!check.ok) {
            await audit.record({
              actor,
              action: 'webhook.rejected',
              target: name,
              outcome: 'denied',
              requestId: request.id,
              details: { reason: check.reason },
            });
            throw new AppError(
              'UNAUTHENTICATED',
              check.reason === 'stale' ? 'Signature timestamp outside the 5-minute window' : 'Invalid or missing Hearth-Signature',
            );
          }
          if (!(await webhooks.replay.claim(replayId(name, check.timestamp, check.signature), REPLAY_TTL_MS))) {
            await audit.record({
              actor,
              action: 'webhook.rejected',
              target: name,
              outcome: 'denied',
              requestId: request.id,
              details: { reason: 'replay' },
            });
            throw new AppError('CONFLICT', 'Webhook delivery already processed (replay)');
          }
          let payload: unknown;
          try {
            payload = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
          } catch {
            throw new AppError('BAD_REQUEST', 'Webhook body must be JSON');
          }
          const result = await handler(payload, { name, requestId: request.id });
          await audit.record({ actor, action: `webhook.${name}`, target: name, outcome: 'success', requestId: request.id });
          return reply.status(200).send({ ok: true, ...result });
        },
      );
    });
  };
}
