import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { RouteModule } from '../../core/index.js';
import { AppError } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { streamSse } from '../../server/sse.js';
import type { FamiliarService, TurnRunner } from '../../companions/index.js';

const content = z.union([
  z.string().max(100_000),
  z.array(z.object({ type: z.string().max(40), text: z.string().max(100_000).optional() }).loose()).max(100),
]);
const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: content.nullable().optional(),
    name: z.string().max(100).optional(),
  })
  .loose();
// Clients send many optional OpenAI fields; accept the known ones, reject anything else.
const body = z.strictObject({
  model: z.string().min(1).max(100),
  messages: z.array(message).min(1).max(500),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).loose().nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  top_p: z.number().nullable().optional(),
  max_tokens: z.number().int().positive().nullable().optional(),
  max_completion_tokens: z.number().int().positive().nullable().optional(),
  n: z.literal(1).nullable().optional(),
  user: z.string().max(200).optional(),
  stop: z
    .union([z.string(), z.array(z.string())])
    .nullable()
    .optional(),
  presence_penalty: z.number().nullable().optional(),
  frequency_penalty: z.number().nullable().optional(),
  seed: z.number().int().nullable().optional(),
});

function textOf(c: z.infer<typeof content> | null | undefined): string {
  if (!c) return '';
  if (typeof c === 'string') return c;
  return c.map((p) => p.text ?? '').join('\n');
}

/**
 * CH-1: an OpenAI-compatible endpoint. The model name picks the familiar (its slug); the last
 * user message is the turn; caller system messages become data blocks, never the persona.
 */
export function openaiRoutes(deps: { turns: TurnRunner; familiars: FamiliarService }): RouteModule {
  const { turns, familiars } = deps;
  return (app) => {
    app.get('/v1/models', { config: { policy: policy.member('chat') } }, async (request) => {
      const p = requirePrincipal(request);
      const list = (await familiars.list()).filter((f) => familiars.canUse(f, { userId: p.userId, role: p.role }));
      return {
        object: 'list',
        data: list.map((f) => ({ id: f.slug, object: 'model', created: Math.floor(f.createdAt / 1000), owned_by: 'hearth' })),
      };
    });
    app.post('/v1/chat/completions', { config: { policy: policy.member('chat') }, schema: { body } }, async (request, reply) => {
      const p = requirePrincipal(request);
      const familiar = await familiars.bySlug(request.body.model);
      if (!familiar || !familiars.canUse(familiar, { userId: p.userId, role: p.role })) throw new AppError('NOT_FOUND', 'Model not found');
      const msgs = request.body.messages;
      let last = -1;
      for (let i = msgs.length - 1; i >= 0; i--)
        if (msgs[i]?.role === 'user') {
          last = i;
          break;
        }
      if (last < 0) throw new AppError('VALIDATION_FAILED', 'messages must contain a user message');
      const text = textOf(msgs[last]?.content);
      // Everything else the client sent (its system prompt, earlier turns) is data, labelled by role.
      const context = msgs
        .filter((_, i) => i !== last)
        .map(
          (m) =>
            `${m.role === 'system' || m.role === 'developer' ? 'caller-supplied system message' : `earlier ${m.role} message`}:\n${textOf(m.content)}`,
        )
        .filter((c) => c.length < 20_000)
        .slice(-20);
      // Each OpenAI request is stateless: one conversation per API credential and familiar.
      const request0 = {
        channel: 'openai' as const,
        userId: p.userId,
        role: p.role,
        familiarId: familiar.id,
        conversationKey: `openai:${p.credentialId}`,
        text,
        context,
        requestId: request.id,
      };
      const id = `chatcmpl-${randomUUID().replace(/-/g, '')}`;
      const created = Math.floor(Date.now() / 1000);
      const model = familiar.slug;
      if (!request.body.stream) {
        const r = await turns.run(request0);
        return {
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: r.text, refusal: null }, finish_reason: 'stop', logprobs: null }],
          usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
        };
      }
      const chunk = (delta: Record<string, unknown>, finish: string | null) => ({
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      });
      return streamSse(request, reply, async (sse) => {
        // OpenAI streams open with an empty assistant chunk before the first words.
        const open = () => {
          if (!sse.started) sse.send(chunk({ role: 'assistant', content: '' }, null));
        };
        await turns.run({ ...request0, signal: sse.signal }, (e) => {
          if (e.type === 'delta') {
            open();
            sse.send(chunk({ content: e.text }, null));
          } else if (e.type === 'error' && sse.started) {
            sse.send({ error: { message: e.message, type: 'provider_error', code: e.code } });
          }
        });
        open();
        sse.send(chunk({}, 'stop'));
        sse.send('[DONE]');
      });
    });
  };
}
