import { z } from 'zod';
import { type RouteModule } from '../../core/index.js';
import { policy } from '../../server/index.js';
import type { AuditService } from './types.js';

const query = z.strictObject({
  action: z.string().min(1).max(100).optional(),
  userId: z.string().min(1).max(100).optional(),
  actorType: z.enum(['user', 'api_key', 'channel', 'model', 'anonymous', 'system']).optional(),
  outcome: z.enum(['success', 'failure', 'denied', 'pending']).optional(),
  target: z.string().min(1).max(200).optional(),
  since: z.coerce.number().int().nonnegative().optional(),
  until: z.coerce.number().int().nonnegative().optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(500).optional(),
});

/** GET /api/audit: admins list and filter the audit log, newest first, paged by `before` (LOG-3). */
export function auditRoutes(options: { audit: AuditService }): RouteModule {
  const { audit } = options;
  return (app) => {
    app.get('/api/audit', { config: { policy: policy.admin() }, schema: { querystring: query } }, async (request) => {
      const q = request.query;
      const entries = await audit.list(q);
      const last = entries.at(-1);
      return { entries, nextBefore: entries.length === (q.limit ?? 100) && last ? last.seq : null };
    });
  };
}
