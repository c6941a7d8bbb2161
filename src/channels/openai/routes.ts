import { createHash, randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { AppError, type Principal, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { streamSse } from '../../server/sse.js';
import type { Familiar, FamiliarService, TurnReply, TurnRequest, TurnRunner } from '../../companions/index.js';
import { invalidRequest, openaiErrorHandler } from './errors.js';
import { checkSupported, completionBody, turnOf, type CompletionBody } from './request.js';

const CONVERSATION_HEADER = 'x-hearth-conversation';
const modelParams = z.strictObject({ model: z.string().min(1).max(100) });

const digest = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 32);

/**
 * The stored conversation a request names, as a conversation key; undefined: a stateless request.
 * `X-Hearth-Conversation: NAME` names one of the person's conversations (the same name from any of
 * their clients continues it); `user` (OpenAI's end-user id) names one per API key, so two apps'
 * end users never share one. The header wins when both are sent. Names are stored hashed.
 */
function conversationKey(request: FastifyRequest, body: CompletionBody, p: Principal): string | undefined {
  const header = request.headers[CONVERSATION_HEADER];
  if (header !== undefined) {
    const name = Array.isArray(header) ? undefined : header.trim();
    if (!name || name.length > 200)
      throw invalidRequest('X-Hearth-Conversation', 'X-Hearth-Conversation must be one name of 1 to 200 characters', 'invalid_value');
    return `openai:name:${digest(name)}`;
  }
  const user = body.user?.trim();
  return user ? `openai:user:${digest(`${p.credentialId}\u0000${user}`)}` : undefined;
}

/** Any /v1 path Hearth does not offer (`/v1/embeddings`, `/v1/audio/…`): OpenAI's 404, for every method. */
async function unknownEndpoint(): Promise<never> {
  throw invalidRequest(null, 'Hearth does not offer this endpoint', 'not_found', 'NOT_FOUND');
}

/** OpenAI's `usage`: the provider's figures, or an estimate marked `estimated: true`; 0 when no model was called. */
function usageOf(reply: TurnReply) {
  const u = reply.usage ?? { promptTokens: 0, completionTokens: 0, estimated: false };
  return {
    prompt_tokens: u.promptTokens,
    completion_tokens: u.completionTokens,
    total_tokens: u.promptTokens + u.completionTokens,
    ...(u.estimated ? { estimated: true } : {}),
  };
}

function finishOf(reply: TurnReply): 'stop' | 'length' | 'content_filter' {
  if (reply.screened?.action === 'refuse') return 'content_filter';
  return reply.finishReason === 'length' ? 'length' : 'stop';
}

/**
 * CH-1: an OpenAI-compatible endpoint. The model name picks the familiar (its slug). The client's
 * `messages` are the conversation: the last user message is the turn, the rest is data, and nothing
 * is stored unless the client names a conversation. Errors come in OpenAI's shape.
 */
export function openaiRoutes(deps: {
  turns: TurnRunner;
  familiars: FamiliarService;
  /** What is left of the person's budgets with a familiar, as `X-Hearth-Budget-*` headers (issue #22). */
  budgetHeaders?: ((userId: string, familiarId: string) => Promise<Record<string, string>>) | undefined;
}): RouteModule {
  const { turns, familiars } = deps;
  return async (app) => {
    app.setErrorHandler(openaiErrorHandler);
    // Unknown paths under /v1 (a client asking for /v1/embeddings) get the same shape: this scope's 404, or its error
    // handler when the policy check (no policy on an unknown route) answers first.
    await app.register(
      async (v1) => {
        v1.setNotFoundHandler((request, reply) => openaiErrorHandler(new AppError('NOT_FOUND', 'Unknown endpoint'), request, reply));
      },
      { prefix: '/v1' },
    );
    // A GET of an unknown /v1 path would otherwise reach the web app's catch-all (`GET /*`) and its
    // Hearth-shaped 404. Every method but OPTIONS (the CORS preflight keeps its own route) lands here:
    // signed like the rest of /v1 (a caller without a key learns nothing of what exists), then 404.
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/v1',
      config: { policy: policy.member('chat') },
      handler: unknownEndpoint,
    });
    app.route({
      method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      url: '/v1/*',
      config: { policy: policy.member('chat') },
      handler: unknownEndpoint,
    });
    const modelOf = (f: Familiar) => ({ id: f.slug, object: 'model', created: Math.floor(f.createdAt / 1000), owned_by: 'hearth' });
    const usable = async (slug: string, p: Principal) => {
      const familiar = await familiars.bySlug(slug);
      if (!familiar || !familiars.canUse(familiar, { userId: p.userId, role: p.role }))
        throw invalidRequest('model', 'The model does not exist or you do not have access to it', 'model_not_found', 'NOT_FOUND');
      return familiar;
    };
    app.get('/v1/models', { config: { policy: policy.member('chat') } }, async (request) => {
      const p = requirePrincipal(request);
      const list = (await familiars.list()).filter((f) => familiars.canUse(f, { userId: p.userId, role: p.role }));
      return { object: 'list', data: list.map(modelOf) };
    });
    app.get('/v1/models/:model', { config: { policy: policy.member('chat') }, schema: { params: modelParams } }, async (request) =>
      modelOf(await usable(request.params.model, requirePrincipal(request))),
    );
    app.post(
      '/v1/chat/completions',
      { config: { policy: policy.member('chat') }, schema: { body: completionBody } },
      async (request, reply) => {
        const p = requirePrincipal(request);
        const body = request.body;
        checkSupported(body);
        const familiar = await usable(body.model, p);
        const { text, context } = turnOf(body.messages);
        const key = conversationKey(request, body, p);
        const maxTokens = body.max_completion_tokens ?? body.max_tokens;
        const turn: TurnRequest = {
          channel: 'openai',
          userId: p.userId,
          role: p.role,
          familiarId: familiar.id,
          text,
          context,
          requestId: request.id,
          // The client sends the whole conversation each time: stored messages never go to the model again.
          historyFromCaller: true,
          ...(key ? { conversationKey: key } : { store: false }),
          ...(maxTokens ? { maxOutputTokens: maxTokens } : {}),
        };
        const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
        const created = Math.floor(Date.now() / 1000);
        const model = familiar.slug;
        if (!body.stream) {
          const r = await turns.run(turn);
          if (key) void reply.header('x-hearth-conversation-id', r.conversationId);
          if (deps.budgetHeaders) void reply.headers(await deps.budgetHeaders(p.userId, familiar.id));
          return {
            id,
            object: 'chat.completion',
            created,
            model,
            choices: [
              { index: 0, message: { role: 'assistant', content: r.text, refusal: null }, finish_reason: finishOf(r), logprobs: null },
            ],
            usage: usageOf(r),
          };
        }
        const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
          id,
          object: 'chat.completion.chunk',
          created,
          model,
          choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
        });
        // A stream's headers go before the turn: what was left when it started.
        if (deps.budgetHeaders) void reply.headers(await deps.budgetHeaders(p.userId, familiar.id));
        return streamSse(request, reply, async (sse) => {
          // OpenAI streams open with an empty assistant chunk before the first words.
          const open = () => {
            if (!sse.started) sse.send(chunk({ role: 'assistant', content: '' }, null));
          };
          const r = await turns.run({ ...turn, signal: sse.signal }, (e) => {
            if (e.type === 'start' && key) void reply.header('x-hearth-conversation-id', e.conversationId);
            if (e.type === 'delta') {
              open();
              sse.send(chunk({ content: e.text }, null));
            } else if (e.type === 'error' && sse.started) {
              sse.send({ error: { message: e.message, type: 'server_error', code: e.code.toLowerCase(), param: null } });
            }
          });
          open();
          sse.send(chunk({}, finishOf(r)));
          // stream_options.include_usage: one last chunk with no choices and the usage, as OpenAI sends it.
          if (body.stream_options?.include_usage)
            sse.send({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageOf(r) });
          sse.send('[DONE]');
        });
      },
    );
  };
}
