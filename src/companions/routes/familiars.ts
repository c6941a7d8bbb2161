import { z } from 'zod';
import type { RouteModule } from '../../core/index.js';
import { AppError } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { Principal } from '../../core/index.js';
import type { AuditActor } from '../../security/audit/index.js';
import type { Familiar, FamiliarService } from '../familiars.js';

const slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes');
const body = z.strictObject({
  slug,
  name: z.string().trim().min(1).max(64),
  persona: z.string().min(1).max(8000),
  providerId: z.string().min(1).max(100).nullable().optional(),
  model: z.string().min(1).max(200),
  temperature: z.number().min(0).max(2).nullable().optional(),
  sampling: z
    .strictObject({
      topP: z.number().gt(0).max(1).optional(),
      frequencyPenalty: z.number().min(-2).max(2).optional(),
      presencePenalty: z.number().min(-2).max(2).optional(),
      stop: z.array(z.string().min(1).max(32)).max(4).optional(),
    })
    .nullable()
    .optional(),
  maxOutputTokens: z.number().int().min(16).max(1_000_000).nullable().optional(),
  allowedTools: z
    .array(z.string().regex(/^[a-z0-9_]{1,64}$/))
    .max(100)
    .optional(),
  injectionPolicy: z.enum(['log', 'neutralize', 'refuse']).optional(),
  memoryExtraction: z.enum(['off', 'on', 'ask']).optional(),
  greeting: z.string().max(2000).nullable().optional(),
  allowedUsers: z.array(z.string().min(1).max(100)).max(10_000).nullable().optional(),
  exampleDialogue: z.string().max(8000).nullable().optional(),
  lorebook: z
    .array(
      z.strictObject({
        keys: z.array(z.string().trim().min(1).max(100)).min(1).max(20),
        content: z.string().min(1).max(2000),
        enabled: z.boolean().optional(),
      }),
    )
    .max(100)
    .optional(),
});
const params = z.strictObject({ id: z.string().min(1).max(100) });
/** What happens to the familiar's conversations, memories, notes and tool settings; required when it has any. */
const removeQuery = z.strictObject({ data: z.enum(['delete', 'keep']).optional() });

function actorOf(p: Principal): AuditActor {
  return p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };
}

/** What a member sees of a familiar: no persona, no provider, no allowlist. */
function publicView(f: Familiar) {
  return { id: f.id, slug: f.slug, name: f.name, greeting: f.greeting, model: f.model, avatarHash: f.avatarHash };
}

/** `/api/familiars`: admins manage them; members list and read the ones they may chat with. */
export function familiarRoutes(familiars: FamiliarService): RouteModule {
  return (app) => {
    app.get('/api/familiars', { config: { policy: policy.member('read') } }, async (request) => {
      const p = requirePrincipal(request);
      const all = await familiars.list();
      const admin = p.role !== 'member';
      return {
        familiars: all.filter((f) => familiars.canUse(f, { userId: p.userId, role: p.role })).map((f) => (admin ? f : publicView(f))),
      };
    });
    app.get('/api/familiars/:id', { config: { policy: policy.member('read') }, schema: { params } }, async (request) => {
      const p = requirePrincipal(request);
      const f = await familiars.get(request.params.id);
      if (!f || !familiars.canUse(f, { userId: p.userId, role: p.role })) throw new AppError('NOT_FOUND', 'Familiar not found');
      return p.role === 'member' ? publicView(f) : f;
    });
    app.post('/api/familiars', { config: { policy: policy.admin() }, schema: { body } }, async (request, reply) => {
      const created = await familiars.create(request.body, actorOf(requirePrincipal(request)));
      return reply.status(201).send(created);
    });
    app.patch(
      '/api/familiars/:id',
      { config: { policy: policy.admin() }, schema: { params, body: body.partial().strict() } },
      async (request) => familiars.update(request.params.id, request.body, actorOf(requirePrincipal(request))),
    );
    // `?data=delete|keep`; without it a familiar holding anything answers 409 with the counts (to show before confirming).
    app.get('/api/familiars/:id/data', { config: { policy: policy.admin() }, schema: { params } }, async (request) => {
      if (!(await familiars.get(request.params.id))) throw new AppError('NOT_FOUND', 'Familiar not found');
      return { counts: await familiars.dataOf(request.params.id) };
    });
    app.delete(
      '/api/familiars/:id',
      { config: { policy: policy.admin() }, schema: { params, querystring: removeQuery } },
      async (request) => {
        const removal = await familiars.remove(request.params.id, actorOf(requirePrincipal(request)), {
          data: request.query.data,
          requestId: request.id,
        });
        return {
          deleted: true,
          data: removal.data,
          ...(removal.data === 'keep' ? { kept: removal.counts } : { removed: removal.counts }),
        };
      },
    );
  };
}
