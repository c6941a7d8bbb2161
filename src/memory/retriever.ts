import type { MemoryRetriever, RetrievedContext } from '../companions/contracts.js';
import type { MemoryRepository } from './types.js';

/**
 * Feeds the turn: the person's memories with this familiar and relevant past turns, all as
 * untrusted data (the turn delimits them). Every persisted turn is indexed here, so past
 * conversations become searchable (MEM-2).
 */
export function createMemoryRetriever(repo: MemoryRepository): MemoryRetriever {
  return {
    async retrieve({ userId, familiarId, text, limit }) {
      const n = Math.max(1, limit);
      const [memories, turns] = await Promise.all([
        repo.search({ userId, familiarId, q: text, kinds: ['memory'], limit: n }),
        repo.search({ userId, familiarId, q: text, kinds: ['turn'], limit: Math.max(1, Math.ceil(n / 2)) }),
      ]);
      const out: RetrievedContext[] = [
        ...memories.map((m) => ({ kind: 'memory' as const, id: m.id, text: m.text, provenance: m.provenance, score: m.score })),
        ...turns.map((m) => ({ kind: 'past_turn' as const, id: m.id, text: m.text, provenance: m.provenance, score: m.score })),
      ];
      return out;
    },
    // Queued and written in batches; the repository's reads wait for it, so the next retrieval sees it.
    indexTurn: (turn) => repo.addTurn(turn),
  };
}
