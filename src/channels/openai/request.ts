import { z } from 'zod';
import { invalidRequest } from './errors.js';

const part = z.object({ type: z.string().max(40), text: z.string().max(100_000).optional() }).loose();
const content = z.union([z.string().max(100_000), z.array(part).max(100)]);
const message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool', 'function']),
    content: content.nullable().optional(),
    name: z.string().max(100).optional(),
  })
  // tool_calls, tool_call_id, refusal, audio: an assistant's or tool's extras; only the text is read.
  .loose();
const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

/**
 * Every field of OpenAI's Chat Completions request, so that what real clients send is understood
 * (a field outside this list is refused, named). Three kinds:
 * - honoured: model, messages, stream, stream_options.include_usage, max_tokens / max_completion_tokens
 *   (within the familiar's output limit), user (names a stored conversation);
 * - ignored, because they only tune sampling or bookkeeping and the familiar's settings decide:
 *   temperature, top_p, presence/frequency_penalty, seed, stop, logit_bias, metadata, store,
 *   service_tier, parallel_tool_calls, prediction, reasoning_effort, verbosity, prompt_cache_key,
 *   safety_identifier, and the harmless values of the next kind (empty `tools`, `tool_choice: auto`, `n: 1`…);
 * - refused when they ask for what a familiar cannot give (`unsupported`, below).
 */
export const completionBody = z.strictObject({
  model: z.string().min(1).max(100),
  messages: z.array(message).min(1).max(500),
  stream: nullable(z.boolean()),
  stream_options: nullable(z.object({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).loose()),
  max_tokens: nullable(z.number().int().positive()),
  max_completion_tokens: nullable(z.number().int().positive()),
  user: nullable(z.string().max(256)),
  temperature: nullable(z.number().min(0).max(2)),
  top_p: nullable(z.number().min(0).max(1)),
  presence_penalty: nullable(z.number().min(-2).max(2)),
  frequency_penalty: nullable(z.number().min(-2).max(2)),
  seed: nullable(z.number().int()),
  stop: nullable(z.union([z.string().max(1000), z.array(z.string().max(1000)).max(4)])),
  logit_bias: nullable(z.record(z.string().max(20), z.number()).refine((o) => Object.keys(o).length <= 300)),
  metadata: nullable(z.record(z.string().max(64), z.string().max(512)).refine((o) => Object.keys(o).length <= 16)),
  store: nullable(z.boolean()),
  service_tier: nullable(z.string().max(40)),
  parallel_tool_calls: nullable(z.boolean()),
  prediction: nullable(z.object({}).loose()),
  reasoning_effort: nullable(z.string().max(40)),
  verbosity: nullable(z.string().max(40)),
  prompt_cache_key: nullable(z.string().max(1000)),
  safety_identifier: nullable(z.string().max(256)),
  n: nullable(z.number().int().positive()),
  tools: nullable(z.array(z.object({}).loose()).max(128)),
  tool_choice: nullable(z.union([z.string().max(40), z.object({}).loose()])),
  functions: nullable(z.array(z.object({}).loose()).max(128)),
  function_call: nullable(z.union([z.string().max(40), z.object({}).loose()])),
  response_format: nullable(z.object({ type: z.string().max(40) }).loose()),
  logprobs: nullable(z.boolean()),
  top_logprobs: nullable(z.number().int().min(0).max(20)),
  modalities: nullable(z.array(z.string().max(20)).max(4)),
  audio: nullable(z.object({}).loose()),
  web_search_options: nullable(z.object({}).loose()),
});
export type CompletionBody = z.infer<typeof completionBody>;

const unsupported = (param: string, message: string) => invalidRequest(param, message, 'unsupported_parameter');
const TOOLS = 'a familiar uses the tools its operator allowed, and this endpoint returns no tool calls';

/** Refuses, naming the field, what a familiar cannot give; every other field is honoured or harmlessly ignored. */
export function checkSupported(body: CompletionBody): void {
  if (body.tools?.length) throw unsupported('tools', `Caller-defined tools are not supported: ${TOOLS}`);
  if (body.functions?.length) throw unsupported('functions', `Caller-defined functions are not supported: ${TOOLS}`);
  for (const field of ['tool_choice', 'function_call'] as const) {
    const v = body[field];
    if (v !== undefined && v !== null && v !== 'none' && v !== 'auto')
      throw unsupported(field, `${field} may only be "none" or "auto": ${TOOLS}`);
  }
  if (body.response_format && body.response_format.type !== 'text')
    throw unsupported('response_format', 'Only text replies are supported (response_format type "text")');
  if (body.n !== undefined && body.n !== null && body.n !== 1) throw unsupported('n', 'Only one choice per request is supported (n = 1)');
  if (body.logprobs) throw unsupported('logprobs', 'Log probabilities are not available');
  if (body.top_logprobs) throw unsupported('top_logprobs', 'Log probabilities are not available');
  if (body.modalities?.some((m) => m !== 'text')) throw unsupported('modalities', 'Only text output is supported');
  if (body.audio) throw unsupported('audio', 'Only text output is supported');
  if (body.web_search_options) throw unsupported('web_search_options', 'Web search is not available');
  body.messages.forEach((m, i) => {
    if (!Array.isArray(m.content)) return;
    m.content.forEach((p, j) => {
      if (p.type !== 'text')
        throw invalidRequest(
          `messages[${i}].content[${j}]`,
          'Only text content is supported; a familiar reads no images, audio or files',
          'unsupported_value',
        );
    });
  });
}

function textOf(c: CompletionBody['messages'][number]['content']): string {
  if (!c) return '';
  if (typeof c === 'string') return c;
  return c.map((p) => p.text ?? '').join('\n');
}

/**
 * The client's messages as one turn: the last user message is what the person says now; every
 * other message (the caller's system prompt, earlier user and assistant turns) reaches the model
 * only as data, labelled by role (LLM-1), in the order sent.
 */
export function turnOf(messages: CompletionBody['messages']): { text: string; context: string[] } {
  const last = messages.findLastIndex((m) => m.role === 'user');
  if (last < 0) throw invalidRequest('messages', 'messages must contain a user message', 'invalid_value');
  const context: string[] = [];
  messages.forEach((m, i) => {
    const text = textOf(m.content);
    if (i === last || !text.trim()) return;
    const label = m.role === 'system' || m.role === 'developer' ? 'caller-supplied system message' : `earlier ${m.role} message`;
    context.push(`${label}:\n${text}`);
  });
  return { text: textOf(messages[last]!.content), context };
}
