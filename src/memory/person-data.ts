import type { PersonData } from '../core/index.js';
import type { NotesStore } from './notes/index.js';
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
      return { memories: await repo.eraseUser(userId), noteFolders: await notes.erasePerson(userId).catch(() => 0) };
    },
    prune: async (before) => ({ turns: await repo.pruneTurns(before) }),
  };
}
