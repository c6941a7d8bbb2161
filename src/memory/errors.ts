import { HearthError } from '../core/index.js';

/** Typed failures of the memory repository and tools. */
export class MemoryError extends HearthError<'MEMORY_INVALID' | 'MEMORY_NOT_FOUND'> {}
