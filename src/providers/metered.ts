import type { ChatModel, ChatRequest } from './types.js';

/** Tokens a turn's model calls used: the provider's figures, or an estimate when it reported none. */
export interface ModelUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  /** True when at least one call reported no usage and its share was estimated (about 4 characters a token). */
  readonly estimated: boolean;
}

export interface MeteredModel {
  /** The same model, each call's `maxTokens` capped and its usage counted. */
  readonly model: ChatModel;
  /** What the calls so far used, summed over every round. */
  usage(): ModelUsage;
  /** The last call's finish reason (`stop`, `length`, `tool_calls`…), once one finished. */
  finishReason(): string | undefined;
}

/** A rough count for providers that report no usage: about four characters per token. */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4);

/** Characters a request sends (messages, tool calls, tool specs): the basis of every estimate before a call. */
export function promptChars(request: ChatRequest): number {
  let n = 0;
  for (const m of request.messages) {
    n += m.content.length;
    if (m.role === 'assistant') for (const c of m.toolCalls ?? []) n += c.name.length + c.arguments.length;
  }
  for (const t of request.tools ?? []) n += t.name.length + t.description.length + JSON.stringify(t.parameters).length;
  return n;
}

/**
 * Wraps a model so that no call asks for more than `maxTokens` of output (a model's output cap is
 * often far below a turn's token budget, and providers refuse a larger `max_tokens`), and counts the
 * tokens every call used. Providers that stream no usage are estimated, and the usage says so.
 */
export function meterModel(model: ChatModel, options: { readonly maxTokens?: number | undefined }): MeteredModel {
  let promptTokens = 0;
  let completionTokens = 0;
  let estimated = false;
  let finish: string | undefined;
  const cap = options.maxTokens;
  const metered: ChatModel = {
    maxOutputTokens: model.maxOutputTokens,
    listModels: (signal) => model.listModels(signal),
    embed: (input) => model.embed(input),
    async *stream(request) {
      const maxTokens = cap === undefined ? request.maxTokens : Math.min(request.maxTokens ?? cap, cap);
      let reported = false;
      let outChars = 0;
      for await (const event of model.stream({ ...request, ...(maxTokens !== undefined ? { maxTokens } : {}) })) {
        if (event.type === 'usage') {
          reported = true;
          promptTokens += event.promptTokens;
          completionTokens += event.completionTokens;
        } else if (event.type === 'delta') outChars += event.text.length;
        else if (event.type === 'tool_calls') for (const c of event.calls) outChars += c.name.length + c.arguments.length;
        else if (event.type === 'finish') finish = event.reason;
        yield event;
      }
      if (!reported) {
        estimated = true;
        promptTokens += estimateTokens(promptChars(request));
        completionTokens += estimateTokens(outChars);
      }
    },
  };
  return {
    model: metered,
    usage: () => ({ promptTokens, completionTokens, estimated }),
    finishReason: () => finish,
  };
}
