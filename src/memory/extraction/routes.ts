import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { MemoryExtractor } from './extractor.js';

const id = z.strictObject({ id: z.string().min(1).max(100) });

/**
 * `/api/memories/proposals`: what a familiar set to "ask" would remember about the caller, waiting
 * for their yes or no. Scoped to the caller: another person's proposal is not found (DATA-4).
 */
export function proposalRoutes(extractor: MemoryExtractor): RouteModule {
  return (app) => {
    app.get('/api/memories/proposals', { config: { policy: policy.member('read') } }, async (request) => ({
      proposals: await extractor.proposals(requirePrincipal(request).userId),
    }));
    app.post(
      '/api/memories/proposals/:id/accept',
      { config: { policy: policy.member('write') }, schema: { params: id } },
      async (request, reply) => {
        const memory = await extractor.accept(requirePrincipal(request).userId, request.params.id);
        if (!memory) throw new AppError('NOT_FOUND', 'Proposal not found');
        return reply.status(201).send(memory);
      },
    );
    app.post(
      '/api/memories/proposals/:id/reject',
      { config: { policy: policy.member('write') }, schema: { params: id } },
      async (request, reply) => {
        if (!(await extractor.reject(requirePrincipal(request).userId, request.params.id)))
          throw new AppError('NOT_FOUND', 'Proposal not found');
        return reply.status(204).send();
      },
    );
  };
}
