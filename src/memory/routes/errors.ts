import { AppError, type Principal } from '../../core/index.js';
import type { AuditActor } from '../../security/audit/types.js';
import { MemoryError } from '../errors.js';
import { isNoteError } from '../notes/index.js';

/** Maps memory and notes failures to the HTTP error catalogue; the store's code goes in details.reason. */
export function toAppError(e: unknown): unknown {
  if (e instanceof MemoryError) return e.code === 'MEMORY_NOT_FOUND' ? new AppError('NOT_FOUND', 'Memory not found') : new AppError('VALIDATION_FAILED', e.message, { reason: e.code });
  if (!isNoteError(e)) return e;
  switch (e.code) {
    case 'NOTE_NOT_FOUND':
      return new AppError('NOT_FOUND', 'Note not found', { reason: e.code });
    case 'NOTE_TOO_LARGE':
      return new AppError('PAYLOAD_TOO_LARGE', e.message, { reason: e.code });
    case 'NOTE_TOO_MANY_RESULTS':
    case 'NOTE_DIRECTORY_FULL':
      return new AppError('UNPROCESSABLE', e.message, { reason: e.code });
    default:
      return new AppError('BAD_REQUEST', e.message, { reason: e.code });
  }
}

/** Runs `fn`, rethrowing store errors as AppErrors. */
export async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toAppError(e);
  }
}

export function actorOf(p: Principal): AuditActor {
  return p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };
}
