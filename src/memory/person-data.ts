import type { ConversationData } from '../companions/index.js';
import type { FamiliarData, PersonData } from '../core/index.js';
import { ErasurePartError } from '../privacy/errors.js';
import type { NotesStore } from './notes/index.js';
import type { MemoryTables } from './tables.js';
import type { Memory, MemoryRepository } from './types.js';

const PAGE = 1000;

/** A person's memories (with their history), indexed past turns and note folders (DATA-5). */
export function memoryPersonData(repo: MemoryRepository, notes: NotesStore): PersonData {
  return {
    part: 'memories',
    async export(userId) {
      const all: Memory[] = [];
      for (let before: number | undefined; ;) {
        const page = await repo.list({ userId, kinds: ['memory', 'turn'], limit: PAGE, ...(before !== undefined ? { before } : {}) });
        all.push(...page);
        if (page.length < PAGE) break;
        before = page[page.length - 1]!.createdAt;
      }
      const memories = [];
      for (const m of all) if (m.kind === 'memory') memories.push({ ...m, history: await repo.history(userId, m.id) });
      return { memories, pastTurnsIndexed: all.length - memories.length };
    },
    async erase(userId) {
      const memories = await repo.eraseUser(userId);
      // A note folder that could not be removed fails the erasure, naming the notes (issue #15).
      const noteFolders = await notes.erasePerson(userId).catch((err: unknown) => {
        throw new ErasurePartError('notes', err);
      });
      return { memories, noteFolders };
    },
    async reassign(from, to) {
      const memories = await repo.reassignUser(from, to);
      const noteFolders = await notes.reassignPerson(from, to).catch((err: unknown) => {
        throw new ErasurePartError('notes', err);
      });
      return { memories, noteFolders };
    },
    prune: async (before) => ({ turns: await repo.pruneTurns(before) }),
  };
}

/** A conversation's indexed turns, with their index rows and vectors: deleted in the conversation's own transaction. */
export function memoryConversationData(repo: MemoryRepository): ConversationData {
  return {
    part: 'memories',
    settle: () => repo.flush(),
    remove: async (tx, { userId, conversationId }) => ({
      turns: await repo.removeConversation(tx.withTables<MemoryTables>(), userId, conversationId),
    }),
    removeMessages: async (tx, { userId, conversationId, messageIds }) => {
      await repo.removeMessages(tx.withTables<MemoryTables>(), userId, conversationId, messageIds);
    },
  };
}

/** What a familiar keeps in memory: every person's memories and indexed turns with it, and its notes folder. */
export function memoryFamiliarData(repo: MemoryRepository, notes: NotesStore): FamiliarData {
  return {
    part: 'memories',
    async count(familiarId) {
      return { ...(await repo.countFamiliar(familiarId)), notes: await notes.countFamiliar(familiarId) };
    },
    async erase(familiarId) {
      return { ...(await repo.eraseFamiliar(familiarId)), notes: await notes.eraseFamiliar(familiarId) };
    },
  };
}
