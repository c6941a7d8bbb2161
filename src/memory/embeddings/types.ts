/** Turns texts into vectors; the OpenAI-compatible implementation lives in openai.ts. */
export interface Embedder {
  readonly model: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
