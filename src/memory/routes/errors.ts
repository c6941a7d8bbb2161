import { AppError, defineErrorCodes, type ErrorCode, type Principal } from '../../core/index.js';
import type { AuditActor } from '../../security/audit/types.js';
import { MemoryCryptoError } from '../encryption.js';
import { MemoryError } from '../errors.js';
import { isNoteError, type NoteErrorCode } from '../notes/index.js';

/** The category each memory and notes reason answers with over HTTP; the reason goes in details.reason. */
const HTTP_ERRORS = defineErrorCodes({
  MEMORY_INVALID: 'VALIDATION_FAILED',
  NOTE_NOT_FOUND: 'NOT_FOUND',
  NOTE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  NOTE_TOO_MANY_RESULTS: 'UNPROCESSABLE',
  NOTE_DIRECTORY_FULL: 'UNPROCESSABLE',
  NOTE_PATH_REJECTED: 'BAD_REQUEST',
  NOTE_LINK_REJECTED: 'BAD_REQUEST',
} satisfies Record<Exclude<MemoryError['code'], 'MEMORY_NOT_FOUND'> | NoteErrorCode, ErrorCode>);

/** Maps memory and notes failures to the HTTP error catalogue. */
function toAppError(e: unknown): unknown {
  // Another person's memory and a missing one answer alike, without a reason (DATA-4).
  if (e instanceof MemoryError)
    return e.code === 'MEMORY_NOT_FOUND' ? new AppError('NOT_FOUND', 'Memory not found') : HTTP_ERRORS.create(e.code, e.message);
  // A key or ciphertext problem is the server's, not the caller's: 503 with a short reason; the
  // record and key id stay in the log (DATA-2).
  if (e instanceof MemoryCryptoError)
    return new AppError(
      'UNAVAILABLE',
      'Memory is unavailable: the memory encryption key does not open it',
      { reason: e.code },
      { cause: e },
    );
  if (!isNoteError(e)) return e;
  return HTTP_ERRORS.create(e.code, e.code === 'NOTE_NOT_FOUND' ? 'Note not found' : e.message);
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
