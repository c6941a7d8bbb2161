export type { Embedder } from './types.js';
export { createOpenAIEmbedder } from './openai.js';
export { startEmbeddingWorker } from './worker.js';
