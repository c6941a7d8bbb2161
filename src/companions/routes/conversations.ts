import { z } from 'zod';
import type { RouteModule } from '../../core/index.js';
import { AppError } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { streamSse } from '../../server/sse.js';
import type { ConversationStore } from '../conversations.js';
import type { FamiliarService } from '../familiars.js';
import type { TurnRunner } from '../contracts.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { Principal } from '../../core/index.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });
const createBody = z.strictObject({ familiarId: z.string().min(1).max(100), title: z.string().max(200).optional() });
const messageBody = z.strictObject({ text: z.string().min(1).max(10_000) });
const page = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional(), before: z.string().min(1).max(100).optional() });

/** Conversations over HTTP: create, list, history with paging, and a turn as JSON or SSE (CH-1). */
const actorOf = (p: Principal): AuditActor =>
  p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };

export function conversationRoutes(deps: {
  turns: TurnRunner;
  conversations: ConversationStore;
  familiars: FamiliarService;
  audit: AuditLog;
}): RouteModule {
  const { turns, conversations, familiars, audit } = deps;
  return (app) => {
    app.post('/api/conversations', { config: { policy: policy.member('write') }, schema: { body: createBody } }, async (request, reply) => {
      const p = requirePrincipal(request);
      const f = await familiars.get(request.body.familiarId);
      if (!f || !familiars.canUse(f, { userId: p.userId, role: p.role })) throw new AppError('NOT_FOUND', 'Familiar not found');
      const c = await conversations.create({ userId: p.userId, familiarId: f.id, channel: 'web', title: request.body.title ?? null });
      return reply.status(201).send({ ...c, greeting: f.greeting });
    });
    app.get('/api/conversations', { config: { policy: policy.member('read') }, schema: { querystring: page } }, async (request) => {
      const p = requirePrincipal(request);
      return { conversations: await conversations.list(p.userId, { limit: request.query.limit ?? 50 }) };
    });
    app.get('/api/conversations/:id', { config: { policy: policy.member('read') }, schema: { params } }, async (request) => {
      const c = await conversations.get(requirePrincipal(request).userId, request.params.id);
      if (!c) throw new AppError('NOT_FOUND', 'Conversation not found');
      return c;
    });
    // The conversation, its messages and its indexed turns (search rows, vectors) go in one transaction (DATA-5).
    app.delete('/api/conversations/:id', { config: { policy: policy.member('write') }, schema: { params } }, async (request, reply) => {
      const p = requirePrincipal(request);
      const removed = await conversations.erase(p.userId, request.params.id);
      if (!removed) throw new AppError('NOT_FOUND', 'Conversation not found');
      await audit.record({
        actor: actorOf(p),
        action: 'conversation.delete',
        target: request.params.id,
        outcome: 'success',
        requestId: request.id,
        details: { removed, source: 'api' },
      });
      return reply.status(204).send();
    });
    app.get(
      '/api/conversations/:id/messages',
      { config: { policy: policy.member('read') }, schema: { params, querystring: page } },
      async (request) => {
        const userId = requirePrincipal(request).userId;
        if (!(await conversations.get(userId, request.params.id))) throw new AppError('NOT_FOUND', 'Conversation not found');
        const limit = request.query.limit ?? 50;
        const messages = await conversations.messages(userId, request.params.id, { limit, before: request.query.before });
        return { messages, nextBefore: messages.length === limit ? messages[0]?.id : null };
      },
    );
    app.post(
      '/api/conversations/:id/messages',
      { config: { policy: policy.member('chat') }, schema: { params, body: messageBody } },
      async (request, reply) => {
        const p = requirePrincipal(request);
        const c = await conversations.get(p.userId, request.params.id);
        if (!c) throw new AppError('NOT_FOUND', 'Conversation not found');
        // The turn reuses `c` rather than reading it again (one load per turn).
        const base = {
          channel: 'web' as const,
          userId: p.userId,
          role: p.role,
          familiarId: c.familiarId,
          conversationId: c.id,
          conversation: c,
          text: request.body.text,
          requestId: request.id,
        };
        const wantsStream = /text\/event-stream/.test(request.headers.accept ?? '');
        if (!wantsStream) return turns.run(base);
        return streamSse(request, reply, async (sse) => {
          await turns.run({ ...base, signal: sse.signal }, (event) => sse.send(event, event.type));
        });
      },
    );
  };
}
