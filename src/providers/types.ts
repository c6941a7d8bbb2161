/** A chat message in the shape every OpenAI-compatible provider speaks. */
export type ChatMessage =
  | { readonly role: 'system' | 'user'; readonly content: string }
  | { readonly role: 'assistant'; readonly content: string; readonly toolCalls?: readonly ToolCall[] }
  | { readonly role: 'tool'; readonly content: string; readonly toolCallId: string };

export interface ToolCall {
  readonly id: string;
  readonly name: string;
  /** Raw JSON text as the model wrote it; parsed (and validated) by the tool loop. */
  readonly arguments: string;
}

interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: Record<string, unknown>;
}

/** Sampling settings beyond the temperature, as OpenAI-compatible servers take them; each optional. */
export interface Sampling {
  readonly topP?: number | undefined;
  readonly frequencyPenalty?: number | undefined;
  readonly presencePenalty?: number | undefined;
  /** Up to 4 sequences at which the model stops. */
  readonly stop?: readonly string[] | undefined;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly ChatMessage[];
  readonly tools?: readonly ToolSpec[];
  readonly temperature?: number;
  readonly sampling?: Sampling;
  readonly maxTokens?: number;
  readonly signal?: AbortSignal;
}

export type ChatEvent =
  | { readonly type: 'delta'; readonly text: string }
  | { readonly type: 'tool_calls'; readonly calls: readonly ToolCall[] }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number }
  | { readonly type: 'finish'; readonly reason: string };

/** One chat model endpoint; streams events, throws ProviderError on failure. */
export interface ChatModel {
  /** The provider's configured output limit (tokens per call), when the operator set one. */
  readonly maxOutputTokens?: number | undefined;
  stream(request: ChatRequest): AsyncIterable<ChatEvent>;
  listModels(signal?: AbortSignal): Promise<string[]>;
  embed(input: { model: string; texts: readonly string[]; signal?: AbortSignal }): Promise<number[][]>;
}

export type ProviderFailure = 'timeout' | 'unavailable' | 'rate_limited' | 'rejected' | 'broken_stream' | 'aborted';

/** A provider call failed; `kind` is safe to show, the cause stays in the server log. */
export class ProviderError extends Error {
  readonly code = 'PROVIDER_FAILED';
  constructor(
    readonly kind: ProviderFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ProviderError';
  }
}
