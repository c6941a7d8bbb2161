export { createMemoryExtractor, type Exchange, type MemoryExtractor } from './extractor.js';
export { extractionMigrations } from './migrations.js';
export { proposalRoutes } from './routes.js';
