import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { AuditLog } from '../../security/audit/types.js';
import type { MemoryRepository, Metadata } from '../types.js';
import { actorOf, mapped } from './errors.js';

const metaValue = z.union([z.string().max(500), z.number(), z.boolean()]);
const metadata = z.record(z.string().regex(/^[A-Za-z0-9_]{1,64}$/), metaValue);
const id = z.strictObject({ id: z.string().min(1).max(100) });
const familiarId = z.string().min(1).max(100);
const text = z.string().trim().min(1).max(10_000);
const addBody = z.strictObject({ familiarId, text, metadata: metadata.optional() });
const patchBody = z.strictObject({ text: text.optional(), metadata: metadata.optional() });
const searchQuery = z.strictObject({
  q: z.string().max(1000).optional(),
  familiarId: familiarId.optional(),
  kind: z.enum(['memory', 'turn']).optional(),
  /** JSON object of metadata equality filters, e.g. {"topic":"work"}. */
  metadata: z.string().max(2000).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

function parseFilter(raw: string | undefined): Metadata | undefined {
  if (raw === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'metadata must be a JSON object');
  }
  const parsed = metadata.safeParse(value);
  if (!parsed.success) throw new AppError('VALIDATION_FAILED', 'metadata must map keys to strings, numbers or booleans');
  return parsed.data;
}

/** `/api/memories`: a person's own long-term memories; every call is scoped by the repository to the caller (DATA-4). */
export function memoryRoutes(options: { repo: MemoryRepository; audit: AuditLog }): RouteModule {
  const { repo, audit } = options;
  return (app) => {
    app.post('/api/memories', { config: { policy: policy.member('write') }, schema: { body: addBody } }, async (request, reply) => {
      const p = requirePrincipal(request);
      const m = await mapped(() =>
        repo.add({
          userId: p.userId,
          familiarId: request.body.familiarId,
          text: request.body.text,
          metadata: request.body.metadata,
          provenance: p.role === 'owner' ? 'owner' : 'person',
        }),
      );
      await audit.record({
        actor: actorOf(p),
        action: 'memory.write',
        target: m.id,
        outcome: 'success',
        requestId: request.id,
        details: { length: m.text.length, source: 'api' },
      });
      return reply.status(201).send(m);
    });
    app.get('/api/memories', { config: { policy: policy.member('read') }, schema: { querystring: searchQuery } }, async (request) => {
      const p = requirePrincipal(request);
      const q = request.query;
      const filter = parseFilter(q.metadata);
      const kinds = q.kind ? [q.kind] : ['memory' as const];
      if (q.q && q.q.trim())
        return {
          memories: await mapped(() =>
            repo.search({ userId: p.userId, familiarId: q.familiarId, q: q.q!, kinds, metadata: filter, limit: q.limit ?? 20 }),
          ),
        };
      if (filter) throw new AppError('VALIDATION_FAILED', 'metadata filters need a query (q)');
      return { memories: await repo.list({ userId: p.userId, familiarId: q.familiarId, kinds, limit: q.limit ?? 50 }) };
    });
    app.get('/api/memories/:id', { config: { policy: policy.member('read') }, schema: { params: id } }, async (request) => {
      const m = await repo.get(requirePrincipal(request).userId, request.params.id);
      if (!m) throw new AppError('NOT_FOUND', 'Memory not found');
      return m;
    });
    app.get('/api/memories/:id/history', { config: { policy: policy.member('read') }, schema: { params: id } }, async (request) => {
      const h = await repo.history(requirePrincipal(request).userId, request.params.id);
      if (!h) throw new AppError('NOT_FOUND', 'Memory not found');
      return { versions: h };
    });
    app.patch(
      '/api/memories/:id',
      { config: { policy: policy.member('write') }, schema: { params: id, body: patchBody } },
      async (request) => {
        const p = requirePrincipal(request);
        if (request.body.text === undefined && request.body.metadata === undefined)
          throw new AppError('VALIDATION_FAILED', 'nothing to update');
        const m = await mapped(() => repo.update(p.userId, request.params.id, request.body));
        if (!m) throw new AppError('NOT_FOUND', 'Memory not found');
        await audit.record({
          actor: actorOf(p),
          action: 'memory.update',
          target: m.id,
          outcome: 'success',
          requestId: request.id,
          details: { length: m.text.length, source: 'api' },
        });
        return m;
      },
    );
    app.delete('/api/memories/:id', { config: { policy: policy.member('write') }, schema: { params: id } }, async (request, reply) => {
      const p = requirePrincipal(request);
      if (!(await repo.delete(p.userId, request.params.id))) throw new AppError('NOT_FOUND', 'Memory not found');
      await audit.record({
        actor: actorOf(p),
        action: 'memory.delete',
        target: request.params.id,
        outcome: 'success',
        requestId: request.id,
        details: { source: 'api' },
      });
      return reply.status(204).send();
    });
  };
}
