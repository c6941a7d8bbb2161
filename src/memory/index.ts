export { memoryMigrations } from './migrations.js';
export { createMemoryRepository, type MemoryRepositoryOptions } from './repository.js';
export { MemoryError } from './errors.js';
export type { Memory, MemoryVersion, MemoryRepository, MemorySearch, NewMemory, ScoredMemory, Metadata } from './types.js';
export type { MemoryTables, Provenance, MemoryKind } from './tables.js';
export { PROVENANCES } from './tables.js';
export * from './embeddings/index.js';
export * from './notes/index.js';
