import { z } from 'zod';
import { AppError, hasScope, roleAtLeast, SCOPES, type HearthApp, type Scope } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { IdentityService } from '../service.js';

const scope = z.enum(SCOPES as [Scope, ...Scope[]]);

/** /api/keys: a person's own API keys (AUTH-5); admins may list and revoke anyone's. */
export function registerKeyRoutes(app: HearthApp, deps: { identity: IdentityService }): void {
  const { identity } = deps;

  app.get('/api/keys', { config: { policy: policy.member('read') } }, async (request) => {
    const principal = requirePrincipal(request);
    return { keys: await identity.listApiKeys(principal.userId) };
  });

  app.post(
    '/api/keys',
    {
      config: { policy: policy.member('write') },
      schema: {
        body: z.strictObject({
          name: z.string().min(1).max(64),
          scopes: z.array(scope).min(1).max(4),
          expiresAt: z.number().int().positive().optional(),
        }),
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      // A key can only mint keys with scopes it holds itself (no escalation through keys).
      if (request.body.scopes.some((s) => !hasScope(principal, s))) throw new AppError('FORBIDDEN', 'A key cannot grant scopes it lacks');
      const created = await identity.createApiKey({
        userId: principal.userId,
        scopes: request.body.scopes,
        expiresAt: request.body.expiresAt ?? null,
        name: request.body.name,
        actorId: principal.userId,
      });
      return reply.status(201).send({ key: created.key, ...created.info });
    },
  );

  app.delete(
    '/api/keys/:id',
    { config: { policy: policy.member('write') }, schema: { params: z.object({ id: z.string().min(1).max(64) }) } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const key = await identity.findApiKey(request.params.id);
      const mayRevoke = key && (key.userId === principal.userId || (roleAtLeast(principal.role, 'admin') && hasScope(principal, 'admin')));
      if (!key || !mayRevoke) throw new AppError('NOT_FOUND', 'Key not found');
      await identity.revokeApiKey(key.id, principal.userId);
      return reply.status(204).send();
    },
  );
}
