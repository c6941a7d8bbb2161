// What bench/turn.ts (one process, in-process turns) and bench/turn-replicas.ts (several
// processes over HTTP) share: flag parsing, percentiles and the memories seeded for retrieval.
import type { NewMemory } from '../src/memory/index.js';

export function arg(argv: string[], name: string, fallback: number): number {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] ? Number(argv[i + 1]) : fallback;
}
export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
export const ms = (x: number) => Math.round(x * 100) / 100;

const WORDS = [
  'tea',
  'garden',
  'sister',
  'wedding',
  'guitar',
  'hiking',
  'Paris',
  'cat',
  'novel',
  'piano',
  'coffee',
  'birthday',
  'work',
  'project',
  'rain',
  'train',
  'river',
  'dog',
  'pasta',
  'movie',
];

/**
 * `count` memories spread over the bench people, searched by the real retriever on every turn,
 * drawn from `vocabulary` of the words above (turn: 20, turn-replicas: 10, as each measured).
 */
export async function seedMemories(
  repo: { addMany(inputs: readonly NewMemory[]): Promise<number> },
  users: ReadonlyArray<{ id: string }>,
  familiarId: string,
  count: number,
  vocabulary: number,
): Promise<void> {
  const words = WORDS.slice(0, vocabulary);
  for (let done = 0; done < count;) {
    const batch = Array.from({ length: Math.min(5000, count - done) }, (_, i) => {
      const n = done + i;
      return {
        userId: users[n % users.length]!.id,
        familiarId,
        provenance: 'person' as const,
        text: `Remember that I like ${words[n % words.length]} and ${words[(n * 7) % words.length]} since ${1990 + (n % 30)}, note ${n}.`,
      };
    });
    done += await repo.addMany(batch);
  }
}
