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
    async indexTurn(turn) {
      if (turn.text.trim().length === 0) return;
      const text = turn.text.slice(0, 10_000);
      // Neighbour context: a turn is indexed with the turns around it (lower weight), so an answer
      // is found by the words of the question it answers. Measured by bench/recall.ts.
      const previous = await repo.latestTurn(turn.userId, turn.familiarId, turn.conversationId);
      if (previous) await repo.appendContext(turn.userId, previous.id, text);
      await repo.add({
        userId: turn.userId,
        familiarId: turn.familiarId,
        kind: 'turn',
        text,
        context: previous?.text,
        provenance: turn.role === 'user' ? 'person' : 'familiar',
        metadata: { role: turn.role, conversationId: turn.conversationId },
        sourceRef: `${turn.conversationId}:${turn.messageId}`,
      });
    },
  };
}
