// `npm run bench -- memory [--memories 1000000] [--people 1000] [--heavy 100000] [--dims 384]
//  [--queries 300] [--encrypted] [--postgres] [--json]`: bulk insert rate, lexical search p95 scoped to one person among many,
// hybrid (BM25 + int8 vectors, RRF) p95 for one heavy person. SQLite (the default store); --encrypted
// runs it on an encrypted database (HEARTH_DATABASE_ENCRYPTION=on, DATA-2) to show the cost;
// --postgres on PostgreSQL (HEARTH_DATABASE_URL or the local test database), where --encrypted
// means column encryption of memory text and the blind index (bench/_memory-store.ts).
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { createMemoryRepository, type Embedder, type NewMemory } from '../src/memory/index.js';
import { openBenchStore } from './_memory-store.js';

const num = (argv: string[], name: string, dflt: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : dflt;
};

/** Deterministic pseudo-random numbers (mulberry32), so runs are comparable. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYL = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'be', 'da', 'fi', 'go', 'ha', 'ju', 'pe', 'qui', 'zo', 'ren', 'tal', 'mor'];
function vocabulary(n: number, rand: () => number): string[] {
  const out = new Set<string>();
  while (out.size < n) out.add(Array.from({ length: 2 + Math.floor(rand() * 3) }, () => SYL[Math.floor(rand() * SYL.length)]).join(''));
  return [...out];
}

const p95 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.95))]!;
};
const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export async function main(argv: string[]): Promise<void> {
  const total = num(argv, '--memories', 1_000_000);
  const people = num(argv, '--people', 1000);
  const heavy = num(argv, '--heavy', 100_000);
  const dims = num(argv, '--dims', 384);
  const queries = num(argv, '--queries', 300);
  const rand = rng(42);
  const vocab = vocabulary(20_000, rand);
  // Zipf-like word choice: common words are common, as in real text.
  const word = () => vocab[Math.floor(vocab.length * rand() ** 2.5)]!;
  const sentence = (n = 12) => Array.from({ length: n }, word).join(' ');
  const randomVector = () => Float32Array.from({ length: dims }, () => rand() * 2 - 1);
  const embedder: Embedder = { model: 'random', embed: async (texts) => texts.map(randomVector) };

  const encrypted = argv.includes('--encrypted');
  const store = await openBenchStore(argv, 'hearth-bench-memory-');
  const { storage, encryption } = store;
  try {
    const repo = createMemoryRepository({ storage, encryption });
    // 1. Bulk insert: `total` memories spread over `people`, in transactions of 1,000.
    const started = performance.now();
    for (let done = 0; done < total;) {
      const batch: NewMemory[] = [];
      for (let i = 0; i < 1000 && done < total; i++, done++)
        batch.push({ userId: `person-${done % people}`, familiarId: 'f', text: sentence(), provenance: 'person' });
      await repo.addMany(batch);
    }
    const insertPerSec = total / ((performance.now() - started) / 1000);
    // 2. Lexical search, each scoped to one random person.
    const lexical: number[] = [];
    for (let i = 0; i < queries; i++) {
      const userId = `person-${Math.floor(rand() * people)}`;
      const q = `${word()} ${word()} ${word()}`;
      const t0 = performance.now();
      await repo.search({ userId, familiarId: 'f', q, limit: 10 });
      lexical.push(performance.now() - t0);
    }
    // 3. Hybrid: one heavy person with `heavy` memories and vectors.
    const hybridRepo = createMemoryRepository({ storage, embedder, encryption });
    for (let done = 0; done < heavy;) {
      const batch: NewMemory[] = [];
      for (let i = 0; i < 1000 && done < heavy; i++, done++)
        batch.push({ userId: 'heavy', familiarId: 'f', text: sentence(), provenance: 'person' });
      await repo.addMany(batch);
    }
    const seqs = (await sql<{ seq: number }>`select seq from memory_items where user_id = 'heavy'`.execute(storage.db)).rows;
    for (const { seq } of seqs) await hybridRepo.searchIndex.putVector(Number(seq), 'heavy', randomVector());
    const hybrid: number[] = [];
    for (let i = 0; i < queries; i++) {
      const q = `${word()} ${word()} ${word()}`;
      const t0 = performance.now();
      await hybridRepo.search({ userId: 'heavy', familiarId: 'f', q, limit: 10 });
      hybrid.push(performance.now() - t0);
    }
    // Breakdown of the hybrid path for the heavy person.
    const heavyLexical: number[] = [];
    const heavyVector: number[] = [];
    for (let i = 0; i < Math.min(queries, 50); i++) {
      let t0 = performance.now();
      await hybridRepo.searchIndex.lexical({ userId: 'heavy', familiarId: 'f' }, `${word()} ${word()} ${word()}`, 30);
      heavyLexical.push(performance.now() - t0);
      t0 = performance.now();
      await hybridRepo.searchIndex.nearest({ userId: 'heavy', familiarId: 'f' }, randomVector(), 30);
      heavyVector.push(performance.now() - t0);
    }
    const result = {
      heavyLexicalP95Ms: round(p95(heavyLexical)),
      heavyVectorP95Ms: round(p95(heavyVector)),
      lexicalP95Ms: round(p95(lexical)),
      hybridP95Ms: round(p95(hybrid)),
      insertPerSec: Math.round(insertPerSec),
      memories: total,
      people,
      heavyMemories: heavy,
      dims,
      encrypted,
      store: store.label,
    };
    if (argv.includes('--json')) {
      console.log(JSON.stringify(result));
      return;
    }
    console.log(
      `memory benchmark (${store.label}, ${total} memories over ${people} people; heavy person ${heavy} memories × ${dims} dims int8)`,
    );
    console.log('| figure | value | target |\n|---|---|---|');
    console.log(`| bulk insert | ${result.insertPerSec} memories/s | ≥ 5,000/s |`);
    console.log(`| lexical search p95 (one person) | ${result.lexicalP95Ms} ms | < 5 ms |`);
    console.log(`| hybrid search p95 (heavy person) | ${result.hybridP95Ms} ms | < 30 ms |`);
    console.log(`| … of which BM25 top 30 p95 | ${result.heavyLexicalP95Ms} ms | |`);
    console.log(`| … of which vectors top 30 p95 | ${result.heavyVectorP95Ms} ms | |`);
  } finally {
    await store.close();
  }
}
