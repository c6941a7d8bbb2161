import { HearthError } from '../../core/index.js';

/** Codes the notes store raises; the tool loop hands them to the model so it can back off (MEM-1). */
export type NoteErrorCode =
  'NOTE_PATH_REJECTED' | 'NOTE_NOT_FOUND' | 'NOTE_TOO_LARGE' | 'NOTE_TOO_MANY_RESULTS' | 'NOTE_DIRECTORY_FULL' | 'NOTE_LINK_REJECTED';

/** A typed, client-safe failure of the notes store. The message never contains the absolute path. */
export class NoteError extends HearthError<NoteErrorCode> {}

export function isNoteError(e: unknown): e is NoteError {
  return e instanceof NoteError;
}
