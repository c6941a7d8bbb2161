import type OpenAI from 'openai';
import { isTlsOrLoopback } from '../../core/index.js';
import type { Embedder } from './types.js';

export interface OpenAIEmbedderOptions {
  /** OpenAI-compatible base URL (OpenAI, Ollama, vLLM, LM Studio, llama.cpp server). */
  readonly baseURL: string;
  readonly apiKey?: string | undefined;
  readonly model: string;
  /** Requested dimensions (models that support it). */
  readonly dimensions?: number | undefined;
  readonly timeoutMs?: number;
}

/** An Embedder over the OpenAI embeddings API through the openai SDK; vectors as float32. */
export function createOpenAIEmbedder(options: OpenAIEmbedderOptions): Embedder {
  // LLM-5: plain http only to a local server.
  if (!isTlsOrLoopback(new URL(options.baseURL))) throw new Error('embeddings URL must use https (http only on loopback)');
  // The SDK loads with the first call, not at start.
  let created: Promise<OpenAI> | undefined;
  const clientOf = () =>
    (created ??= import('openai').then(
      ({ default: OpenAI }) =>
        new OpenAI({ baseURL: options.baseURL, apiKey: options.apiKey ?? 'unused', timeout: options.timeoutMs ?? 15_000, maxRetries: 1 }),
    ));
  return {
    model: options.model,
    async embed(texts, signal) {
      if (texts.length === 0) return [];
      const client = await clientOf();
      const res = await client.embeddings.create(
        {
          model: options.model,
          input: [...texts],
          encoding_format: 'float',
          ...(options.dimensions ? { dimensions: options.dimensions } : {}),
        },
        signal ? { signal } : undefined,
      );
      const out = new Array<Float32Array>(texts.length);
      for (const d of res.data) out[d.index] = Float32Array.from(d.embedding);
      if (out.some((v) => v === undefined)) throw new Error('embeddings response is missing vectors');
      return out;
    },
  };
}
