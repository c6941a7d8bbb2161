import { defineErrorCodes, HearthError } from '../core/index.js';

/** What erasure answers when a part of a person's data could not be removed (DATA-5). */
export const privacyErrors = defineErrorCodes({ ERASURE_INCOMPLETE: 'INTERNAL', REASSIGN_INCOMPLETE: 'INTERNAL' });

/**
 * Thrown by a personData hook for one piece of what it holds (e.g. the memory plugin's notes), so
 * the erasure's error names that piece rather than the whole hook. Never swallow it: a part that
 * could not be erased must fail the erasure.
 */
export class ErasurePartError extends HearthError<'ERASURE_PART_FAILED'> {
  constructor(
    readonly part: string,
    cause: unknown,
  ) {
    super('ERASURE_PART_FAILED', `${part} could not be erased`, { cause });
  }
}
