import { z } from 'zod';
import { AppError, type Principal, type RouteModule } from '../core/index.js';
import { policy, requirePrincipal } from '../server/index.js';
import type { AuditActor, AuditLog } from '../security/audit/types.js';
import type { PrivacyService } from './service.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });
const actorOf = (p: Principal): AuditActor =>
  p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };

/**
 * `GET /api/users/:id/export` and `DELETE /api/users/:id` (DATA-5). A person may export and erase
 * themselves; an owner may do it for anyone. Anyone else gets 404, as if the person did not exist.
 */
export function privacyRoutes(options: {
  privacy: PrivacyService;
  audit: AuditLog;
  userExists: (id: string) => Promise<boolean>;
}): RouteModule {
  const { privacy, audit } = options;
  async function allowed(p: Principal, id: string) {
    if (p.userId !== id && p.role !== 'owner') throw new AppError('NOT_FOUND', 'User not found');
    if (!(await options.userExists(id))) throw new AppError('NOT_FOUND', 'User not found');
  }
  return (app) => {
    app.get('/api/users/:id/export', { config: { policy: policy.member('read') }, schema: { params } }, async (request) => {
      const p = requirePrincipal(request);
      await allowed(p, request.params.id);
      const data = await privacy.exportPerson(request.params.id);
      await audit.record({
        actor: actorOf(p),
        action: 'privacy.export',
        target: `user:${request.params.id}`,
        outcome: 'success',
        requestId: request.id,
      });
      return data;
    });
    app.delete('/api/users/:id', { config: { policy: policy.member('write') }, schema: { params } }, async (request) => {
      const p = requirePrincipal(request);
      await allowed(p, request.params.id);
      if (p.role === 'owner' && p.userId === request.params.id)
        throw new AppError('CONFLICT', 'The owner cannot erase themselves; transfer ownership first');
      return { erased: true, removed: await privacy.erase(request.params.id, actorOf(p), request.id) };
    });
  };
}
