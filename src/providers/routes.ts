import { z } from 'zod';
import type { RouteModule } from '../core/index.js';
import { policy, requirePrincipal } from '../server/index.js';
import type { AuditActor } from '../security/audit/index.js';
import type { Principal } from '../core/index.js';
import type { ProviderService } from './service.js';

const name = z.string().trim().min(1).max(64);
const body = z.strictObject({
  name,
  baseUrl: z.string().min(1).max(2000),
  apiKey: z.string().min(1).max(4000).nullable().optional(),
  defaultModel: z.string().min(1).max(200).nullable().optional(),
  timeoutMs: z.number().int().min(1000).max(600_000).optional(),
  maxRetries: z.number().int().min(0).max(10).optional(),
  /** Most output tokens its models accept per call (null: no provider limit). */
  maxOutputTokens: z.number().int().min(16).max(1_000_000).nullable().optional(),
  /** Allows plain http to a private-network address (a LAN model server); public addresses still need https. */
  trustedLocalNetwork: z.boolean().optional(),
});
const params = z.strictObject({ id: z.string().min(1).max(100) });

/** The audit actor for a signed request. */
function actorOf(p: Principal): AuditActor {
  return p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };
}

/** `/api/providers`: admins manage model providers; keys go in, only masked keys come out. */
export function providerRoutes(providers: ProviderService): RouteModule {
  return (app) => {
    const admin = { policy: policy.admin() };
    app.get('/api/providers', { config: admin }, async () => ({ providers: await providers.list() }));
    app.post('/api/providers', { config: admin, schema: { body } }, async (request, reply) => {
      const created = await providers.create(request.body, actorOf(requirePrincipal(request)));
      return reply.status(201).send(created);
    });
    app.patch('/api/providers/:id', { config: admin, schema: { params, body: body.partial().strict() } }, async (request) =>
      providers.update(request.params.id, request.body, actorOf(requirePrincipal(request))),
    );
    app.delete('/api/providers/:id', { config: admin, schema: { params } }, async (request, reply) => {
      await providers.remove(request.params.id, actorOf(requirePrincipal(request)));
      return reply.status(204).send();
    });
    app.post('/api/providers/:id/test', { config: admin, schema: { params } }, async (request) => {
      return providers.testConnection(request.params.id);
    });
    // The models a familiar may pick from (the provider's /v1/models); a failure answers ok: false as the test does.
    app.get('/api/providers/:id/models', { config: admin, schema: { params } }, async (request) => {
      return providers.testConnection(request.params.id);
    });
  };
}
