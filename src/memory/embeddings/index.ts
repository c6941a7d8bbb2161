export type { Embedder } from './types.js';
export { createOpenAIEmbedder } from './openai.js';
export { createEmbeddingWorker, embeddingJob, startEmbeddingWorker } from './worker.js';
