import { z } from 'zod';
import type { RouteModule } from '../../core/index.js';
import { AppError } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { streamSse } from '../../server/sse.js';
import type { Conversation, ConversationStore } from '../conversations.js';
import type { FamiliarService } from '../familiars.js';
import type { TurnReply, TurnRequest, TurnRunner } from '../contracts.js';
import { firstWordsTitle, type Titler } from '../titles.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { Principal } from '../../core/index.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });
const messageParams = z.strictObject({ id: z.string().min(1).max(100), messageId: z.string().min(1).max(100) });
const createBody = z.strictObject({ familiarId: z.string().min(1).max(100), title: z.string().max(200).optional() });
/** `replaceFrom`: one of the person's own messages; it and every later message are replaced (edit, regenerate, retry). */
const messageBody = z.strictObject({ text: z.string().min(1).max(10_000), replaceFrom: z.string().min(1).max(100).optional() });
const renameBody = z.strictObject({ title: z.string().trim().min(1).max(200).nullable() });
const page = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional(), before: z.string().min(1).max(100).optional() });
const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).optional(), q: z.string().max(200).optional() });

/** Conversations over HTTP: create, list, history with paging, and a turn as JSON or SSE (CH-1). */
const actorOf = (p: Principal): AuditActor =>
  p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };

export function conversationRoutes(deps: {
  turns: TurnRunner;
  conversations: ConversationStore;
  familiars: FamiliarService;
  audit: AuditLog;
  titles: Titler;
  /** What is left of the person's budgets with a familiar, as `X-Hearth-Budget-*` headers (issue #22). */
  budgetHeaders?: ((userId: string, familiarId: string) => Promise<Record<string, string>>) | undefined;
}): RouteModule {
  const { turns, conversations, familiars, audit, titles } = deps;

  /**
   * After the first complete exchange of an untitled conversation, its title: a short model call
   * for the streaming web chat (which shows it when it arrives), the first words for JSON callers
   * (they wait for the answer, and a second model call would be one they never asked for).
   */
  async function titleFor(c: Conversation, text: string, reply: TurnReply, ask: boolean): Promise<string | null> {
    const familiar = await familiars.get(c.familiarId);
    if (!familiar) return null;
    const title = ask ? await titles.title({ familiar, text, reply: reply.text }) : firstWordsTitle(text);
    // Renamed by the person while the title was being made: their title stays.
    if ((await conversations.get(c.userId, c.id))?.title) return null;
    await conversations.rename(c.userId, c.id, title);
    return title;
  }

  return (app) => {
    app.post('/api/conversations', { config: { policy: policy.member('write') }, schema: { body: createBody } }, async (request, reply) => {
      const p = requirePrincipal(request);
      const f = await familiars.get(request.body.familiarId);
      if (!f || !familiars.canUse(f, { userId: p.userId, role: p.role })) throw new AppError('NOT_FOUND', 'Familiar not found');
      const c = await conversations.create({ userId: p.userId, familiarId: f.id, channel: 'web', title: request.body.title ?? null });
      return reply.status(201).send({ ...c, greeting: f.greeting });
    });
    app.get('/api/conversations', { config: { policy: policy.member('read') }, schema: { querystring: listQuery } }, async (request) => {
      const p = requirePrincipal(request);
      return { conversations: await conversations.list(p.userId, { limit: request.query.limit ?? 50, query: request.query.q }) };
    });
    app.patch(
      '/api/conversations/:id',
      { config: { policy: policy.member('write') }, schema: { params, body: renameBody } },
      async (request) => {
        const c = await conversations.rename(requirePrincipal(request).userId, request.params.id, request.body.title);
        if (!c) throw new AppError('NOT_FOUND', 'Conversation not found');
        return c;
      },
    );
    // One message goes, with what memory indexed of it (the conversation's own transaction rule, DATA-5).
    app.delete(
      '/api/conversations/:id/messages/:messageId',
      { config: { policy: policy.member('write') }, schema: { params: messageParams } },
      async (request, reply) => {
        const p = requirePrincipal(request);
        const removed = await conversations.removeMessages(p.userId, request.params.id, request.params.messageId);
        if (removed === 0) throw new AppError('NOT_FOUND', 'Message not found');
        await audit.record({
          actor: actorOf(p),
          action: 'conversation.message_delete',
          target: request.params.id,
          outcome: 'success',
          requestId: request.id,
          details: { messages: removed },
        });
        return reply.status(204).send();
      },
    );
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
        const { replaceFrom } = request.body;
        if (replaceFrom) {
          const replaced = await conversations.message(p.userId, c.id, replaceFrom);
          if (!replaced) throw new AppError('NOT_FOUND', 'Message not found');
          if (replaced.role !== 'user') throw new AppError('VALIDATION_FAILED', 'Only your own messages can be edited or sent again');
        }
        // The turn reuses `c` rather than reading it again (one load per turn).
        const base: TurnRequest = {
          channel: 'web' as const,
          userId: p.userId,
          role: p.role,
          familiarId: c.familiarId,
          conversationId: c.id,
          conversation: c,
          text: request.body.text,
          requestId: request.id,
          ...(replaceFrom ? { replaceFrom } : {}),
        };
        const untitled = !c.title;
        const wantsStream = /text\/event-stream/.test(request.headers.accept ?? '');
        if (!wantsStream) {
          const answer = await turns.run(base);
          if (untitled && answer.screened?.action !== 'refuse')
            await titleFor(c, base.text, answer, false).catch((err: unknown) =>
              request.log.warn({ err }, 'titling the conversation failed'),
            );
          if (deps.budgetHeaders) void reply.headers(await deps.budgetHeaders(p.userId, c.familiarId));
          return answer;
        }
        // A stream's headers go before the turn: what was left when it started.
        if (deps.budgetHeaders) void reply.headers(await deps.budgetHeaders(p.userId, c.familiarId));
        return streamSse(request, reply, async (sse) => {
          const answer = await turns.run({ ...base, signal: sse.signal }, (event) => sse.send(event, event.type));
          // Sent after `done`: the reply is already complete on the person's screen while the title is made.
          if (untitled && answer.screened?.action !== 'refuse') {
            const title = await titleFor(c, base.text, answer, true).catch((err: unknown) => {
              request.log.warn({ err }, 'titling the conversation failed');
              return null;
            });
            if (title && !sse.signal.aborted) sse.send({ type: 'title', title }, 'title');
          }
        });
      },
    );
  };
}
