export { createNotesStore, type NotesStore, type NotesScope } from './store.js';
export { isNoteError } from './errors.js';
export type { NoteErrorCode } from './errors.js';
