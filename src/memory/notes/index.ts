export { createNotesStore, NOTE_LIMITS, type NotesStore, type NotesScope, type NoteWriter, type NoteEntry, type NoteMatch } from './store.js';
export { NoteError, isNoteError, type NoteErrorCode } from './errors.js';
export { parseNotePath } from './paths.js';
