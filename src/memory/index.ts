export { createMemoryRepository } from './repository.js';
export type { NewMemory } from './types.js';
export * from './embeddings/index.js';
export * from './notes/index.js';
export { memoryPlugin } from './plugin.js';
export { memoryPersonData } from './person-data.js';
export { createMemoryRetriever } from './retriever.js';
export { memoryToolProvider } from './tools.js';
