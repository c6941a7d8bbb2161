import type OpenAI from 'openai';
import { createProviderFetch } from './http-fetch.js';
import { checkProviderUrl } from './url-policy.js';
import { ProviderError, type ChatEvent, type ChatModel, type ChatRequest, type ToolCall } from './types.js';

export interface OpenAIChatOptions {
  readonly baseUrl: string;
  /** Local servers (Ollama) need none. */
  readonly apiKey?: string | undefined;
  /** Time to the first byte and between stream chunks. */
  readonly timeoutMs?: number;
  /** Retries with exponential backoff on 429, 5xx and connection errors (the SDK's). */
  readonly maxRetries?: number;
  /** The most output tokens the provider's models accept per call; the turn sends no more (see meterModel). */
  readonly maxOutputTokens?: number | undefined;
  /** Plain http to a private-network address is allowed (the provider record's explicit option). */
  readonly trustedLocalNetwork?: boolean | undefined;
  /** Test hook: a fetch implementation; by default node:http(s) with kept-alive sockets (http-fetch.ts). */
  readonly fetch?: typeof fetch;
}

/** The SDK class once loaded: it loads with the first call (a few hundred ms and ~13 MB), not at start. */
let sdk: typeof OpenAI | undefined;
let loading: Promise<typeof OpenAI> | undefined;
function loadSdk(): Promise<typeof OpenAI> {
  return (loading ??= import('openai').then((m) => (sdk = m.default)));
}

function classify(err: unknown, signal?: AbortSignal): ProviderError {
  if (err instanceof ProviderError) return err;
  if (signal?.aborted) return new ProviderError('aborted', 'The request was cancelled', { cause: err });
  const OpenAI = sdk;
  if (!OpenAI) return new ProviderError('unavailable', 'The model provider client could not be loaded', { cause: err });
  if (err instanceof OpenAI.APIConnectionTimeoutError) return new ProviderError('timeout', 'The model provider timed out', { cause: err });
  if (err instanceof OpenAI.APIUserAbortError) return new ProviderError('aborted', 'The request was cancelled', { cause: err });
  if (err instanceof OpenAI.APIConnectionError)
    return new ProviderError('unavailable', 'The model provider could not be reached', { cause: err });
  if (err instanceof OpenAI.APIError) {
    const status = err.status ?? 0;
    if (status === 429) return new ProviderError('rate_limited', 'The model provider is rate limiting requests', { cause: err });
    if (status >= 500) return new ProviderError('unavailable', 'The model provider failed', { cause: err });
    return new ProviderError('rejected', `The model provider rejected the request (${status})`, { cause: err });
  }
  return new ProviderError('broken_stream', 'The model provider stream broke off', { cause: err });
}

/** A ChatModel over any OpenAI-compatible server, through the official SDK (DESIGN.md §2). */
export function createOpenAIChat(options: OpenAIChatOptions): ChatModel {
  const baseURL = checkProviderUrl(options.baseUrl, { trustedLocalNetwork: options.trustedLocalNetwork === true });
  const timeoutMs = options.timeoutMs ?? 60_000;
  let created: Promise<OpenAI> | undefined;
  const clientOf = () =>
    (created ??= loadSdk().then(
      (OpenAI) =>
        new OpenAI({
          baseURL,
          apiKey: options.apiKey || 'not-needed',
          timeout: timeoutMs,
          maxRetries: options.maxRetries ?? 2,
          fetch: options.fetch ?? createProviderFetch(),
        }),
    ));

  return {
    maxOutputTokens: options.maxOutputTokens,
    async *stream(request: ChatRequest): AsyncIterable<ChatEvent> {
      // One controller per call: the caller's signal plus an idle timer between chunks.
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      request.signal?.addEventListener('abort', onAbort, { once: true });
      let timedOut = false;
      let idle: NodeJS.Timeout | undefined;
      // One timer for the call, restarted on every chunk (refresh() keeps it, rather than a new timer per chunk).
      const arm = () => {
        if (idle) idle.refresh();
        else
          idle = setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs);
      };
      try {
        arm();
        const client = await clientOf();
        const stream = await client.chat.completions.create(
          {
            model: request.model,
            stream: true,
            stream_options: { include_usage: true },
            messages: request.messages.map(toWire),
            ...(request.tools?.length
              ? {
                  tools: request.tools.map((t) => ({
                    type: 'function' as const,
                    function: { name: t.name, description: t.description, parameters: t.parameters },
                  })),
                }
              : {}),
            ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
            ...(request.sampling?.topP !== undefined ? { top_p: request.sampling.topP } : {}),
            ...(request.sampling?.frequencyPenalty !== undefined ? { frequency_penalty: request.sampling.frequencyPenalty } : {}),
            ...(request.sampling?.presencePenalty !== undefined ? { presence_penalty: request.sampling.presencePenalty } : {}),
            ...(request.sampling?.stop?.length ? { stop: [...request.sampling.stop] } : {}),
            ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
          },
          { signal: controller.signal },
        );
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        let finish: string | undefined;
        for await (const chunk of stream) {
          arm();
          const choice = chunk.choices[0];
          if (chunk.usage)
            yield { type: 'usage', promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens };
          if (!choice) continue;
          const text = choice.delta?.content;
          if (text) yield { type: 'delta', text };
          for (const call of choice.delta?.tool_calls ?? []) {
            const slot = calls.get(call.index) ?? { id: '', name: '', arguments: '' };
            if (call.id) slot.id = call.id;
            if (call.function?.name) slot.name += call.function.name;
            if (call.function?.arguments) slot.arguments += call.function.arguments;
            calls.set(call.index, slot);
          }
          if (choice.finish_reason) finish = choice.finish_reason;
        }
        if (!finish) throw new ProviderError('broken_stream', 'The model provider stream ended without finishing');
        if (calls.size > 0) {
          const list: ToolCall[] = [...calls.values()].map((c, i) => ({ id: c.id || `call_${i}`, name: c.name, arguments: c.arguments }));
          yield { type: 'tool_calls', calls: list };
        }
        yield { type: 'finish', reason: finish };
      } catch (err) {
        if (timedOut) throw new ProviderError('timeout', 'The model provider timed out', { cause: err });
        throw classify(err, request.signal);
      } finally {
        clearTimeout(idle);
        request.signal?.removeEventListener('abort', onAbort);
      }
    },
    async listModels(signal) {
      try {
        const page = await (await clientOf()).models.list(signal ? { signal } : undefined);
        return page.data.map((m) => m.id);
      } catch (err) {
        throw classify(err, signal);
      }
    },
    async embed({ model, texts, signal }) {
      try {
        const res = await (await clientOf()).embeddings.create({ model, input: [...texts] }, signal ? { signal } : undefined);
        return res.data.sort((a, b) => a.index - b.index).map((d) => d.embedding);
      } catch (err) {
        throw classify(err, signal);
      }
    },
  };
}

function toWire(m: ChatRequest['messages'][number]): OpenAI.Chat.ChatCompletionMessageParam {
  if (m.role === 'tool') return { role: 'tool', content: m.content, tool_call_id: m.toolCallId };
  if (m.role === 'assistant')
    return {
      role: 'assistant',
      content: m.content,
      ...(m.toolCalls?.length
        ? {
            tool_calls: m.toolCalls.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: { name: c.name, arguments: c.arguments },
            })),
          }
        : {}),
    };
  return { role: m.role, content: m.content };
}
