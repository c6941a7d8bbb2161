export type { Embedder } from './types.js';
export { createOpenAIEmbedder, type OpenAIEmbedderOptions } from './openai.js';
export { startEmbeddingWorker, type EmbeddingWorker } from './worker.js';
