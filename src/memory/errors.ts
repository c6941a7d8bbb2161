/** Typed failures of the memory repository and tools. */
export class MemoryError extends Error {
  constructor(
    readonly code: 'MEMORY_INVALID' | 'MEMORY_NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'MemoryError';
  }
}
