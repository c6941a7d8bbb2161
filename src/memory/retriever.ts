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
      // Memories and past turns in one pass over the index, each kind with its own limit.
      const found = await repo.search({ userId, familiarId, q: text, perKind: { memory: n, turn: Math.ceil(n / 2) } });
      const as = (kind: 'memory' | 'turn', label: RetrievedContext['kind']): RetrievedContext[] =>
        found
          .filter((m) => m.kind === kind)
          .map((m) => ({ kind: label, id: m.id, text: m.text, provenance: m.provenance, score: m.score }));
      return [...as('memory', 'memory'), ...as('turn', 'past_turn')];
    },
    // Queued and written in batches; the repository's reads wait for it, so the next retrieval sees it.
    indexTurn: (turn) => repo.addTurn(turn),
  };
}
