// `npm run bench -- recall [--data PATH] [--json] [--captions] [--postgres] [--encrypted]`: LoCoMo
// evidence recall@5/@10 of Hearth's past-turn retrieval (no embeddings) next to plain BM25 over the
// raw turns. SQLite by default; --postgres on PostgreSQL, with --encrypted there through the blind
// index of column encryption (DATA-2; bench/_memory-store.ts).
//
// Hybrid (MEM-2), beside the lexical figures: `--embed-url URL --embed-model NAME [--embed-key-file F]`
// (an OpenAI-compatible embeddings endpoint), or `--embed-vectors PATH [--embed-weighting sif|mean]`
// (starts bench/_embed-server.ts, a weak word-vector stand-in, on loopback). The turns then go
// through the server's own path: the repository with an embedder enqueues them, the embedding
// worker embeds the queue through the OpenAI client, and search fuses vectors with BM25.
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { createLogger } from '../src/logging/index.js';
import {
  createEmbeddingWorker,
  createMemoryRepository,
  createMemoryRetriever,
  createOpenAIEmbedder,
  type Embedder,
} from '../src/memory/index.js';
import { openBenchStore } from './_memory-store.js';

interface Turn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}
interface Sample {
  sample_id: string;
  conversation: Record<string, unknown>;
  qa: Array<{ question: string; evidence?: string[]; category: number }>;
}

function flag(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

/** The turns of a conversation in order, session by session. */
function turnsOf(s: Sample): Turn[] {
  const sessions = Object.keys(s.conversation)
    .filter((k) => /^session_\d+$/.test(k))
    .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)));
  return sessions.flatMap((k) => s.conversation[k] as Turn[]);
}

/** LoCoMo's evidence ids; entries like `D8:6; D9:17` are split. */
function evidenceOf(q: Sample['qa'][number]): string[] {
  return (q.evidence ?? [])
    .flatMap((e) => e.split(/[;,]/))
    .map((e) => e.trim())
    .filter(Boolean);
}

const recallAt = (ranked: string[], evidence: string[], k: number) =>
  evidence.filter((e) => ranked.slice(0, k).includes(e)).length / evidence.length;

/** Plain BM25 (FTS5, unicode61) over the raw turn texts: the baseline. */
function baseline(turns: Turn[]) {
  const db = new BetterSqlite3(':memory:');
  db.exec(`create virtual table t using fts5(dia, body, tokenize = 'unicode61')`);
  const ins = db.prepare('insert into t(dia, body) values (?, ?)');
  for (const t of turns) ins.run(t.dia_id, t.text);
  const q = db.prepare(`select dia from t where t match ? order by bm25(t, 0, 1) limit 10`);
  return (question: string) => {
    const terms = question
      .toLowerCase()
      .split(/[^\p{L}\p{N}]+/u)
      .filter(Boolean)
      .map((w) => `body:"${w}"`);
    return terms.length ? (q.all(terms.join(' OR ')) as Array<{ dia: string }>).map((r) => r.dia) : [];
  };
}

interface Endpoint {
  readonly embedder: Embedder;
  readonly label: string;
  close(): Promise<void>;
}

async function embeddingsOf(argv: string[]): Promise<(Endpoint & { failures(): number }) | undefined> {
  const endpoint = await endpointOf(argv);
  if (!endpoint) return undefined;
  // Search falls back to lexical when the query's embedding fails, which would pass off lexical
  // figures as hybrid: failures are counted here and the run refuses to report.
  let failed = 0;
  const { model } = endpoint.embedder;
  const embedder: Embedder = {
    model,
    embed: (texts, signal) =>
      endpoint.embedder.embed(texts, signal).catch((err: unknown) => {
        failed++;
        throw err;
      }),
  };
  return { ...endpoint, embedder, failures: () => failed };
}

/** The embeddings endpoint of the hybrid run, if asked for: one given by URL, or the word-vector stand-in started here. */
async function endpointOf(argv: string[]): Promise<Endpoint | undefined> {
  const vectors = flag(argv, '--embed-vectors');
  const url = flag(argv, '--embed-url');
  if (vectors && url) throw new Error('--embed-vectors and --embed-url: one or the other');
  if (vectors) {
    const weighting = flag(argv, '--embed-weighting') ?? 'sif';
    if (weighting !== 'sif' && weighting !== 'mean') throw new Error('--embed-weighting must be sif or mean');
    const { startEmbedServer } = await import('./_embed-server.js');
    const server = await startEmbedServer({ vectorsPath: vectors, weighting });
    const embedder = createOpenAIEmbedder({ baseURL: server.url, model: server.model });
    return { embedder, label: `${server.model} (word-vector stand-in)`, close: () => server.close() };
  }
  if (!url) return undefined;
  const model = flag(argv, '--embed-model');
  if (!model) throw new Error('--embed-url needs --embed-model NAME');
  const keyFile = flag(argv, '--embed-key-file');
  // The key is read from a file so it never shows in a process list or shell history.
  const apiKey = keyFile ? readFileSync(keyFile, 'utf8').trim() : undefined;
  return { embedder: createOpenAIEmbedder({ baseURL: url, model, apiKey, timeoutMs: 60_000 }), label: model, close: async () => {} };
}

export async function main(argv: string[]): Promise<void> {
  const file = flag(argv, '--data') ?? new URL('../../shared/data/locomo/locomo-dev.json', import.meta.url).pathname;
  const captions = argv.includes('--captions');
  const samples = JSON.parse(readFileSync(file, 'utf8')) as Sample[];
  const embeddings = await embeddingsOf(argv);
  try {
    // One request first, so a wrong URL, model or key fails here with the provider's own message.
    await embeddings?.embedder.embed(['probe']);
    await run(argv, file, captions, samples, embeddings);
  } finally {
    await embeddings?.close();
  }
}

async function run(
  argv: string[],
  file: string,
  captions: boolean,
  samples: Sample[],
  embeddings: Awaited<ReturnType<typeof embeddingsOf>>,
): Promise<void> {
  const sums = { r5: 0, r10: 0, b10: 0, b5: 0, h5: 0, h10: 0, n: 0 };
  const perCategory = new Map<number, { r10: number; b10: number; h10: number; n: number }>();
  const logger = createLogger({ level: 'silent' });
  for (const s of samples) {
    const turns = turnsOf(s);
    const store = await openBenchStore(argv, 'hearth-recall-');
    try {
      const repo = createMemoryRepository({ storage: store.storage, encryption: store.encryption });
      // Hybrid: the same store searched through a repository with the embedder, as a server with
      // HEARTH_EMBEDDINGS_URL runs it; the turns are indexed through it so they are queued for vectors.
      const embedder = embeddings?.embedder;
      const hybrid = embedder && createMemoryRepository({ storage: store.storage, encryption: store.encryption, embedder });
      const retriever = createMemoryRetriever(hybrid ?? repo);
      const byRef = new Map<string, string>();
      for (const [i, t] of turns.entries()) {
        const text = captions && t.blip_caption ? `${t.speaker}: ${t.text} [shares ${t.blip_caption}]` : `${t.speaker}: ${t.text}`;
        await retriever.indexTurn!({
          userId: s.sample_id,
          familiarId: 'f',
          conversationId: 'c',
          messageId: String(i).padStart(8, '0'),
          role: i % 2 ? 'assistant' : 'user',
          text,
        });
        byRef.set(`c:${String(i).padStart(8, '0')}`, t.dia_id);
      }
      if (hybrid) {
        await hybrid.flush();
        const worker = createEmbeddingWorker({
          storage: store.storage,
          index: hybrid.searchIndex,
          embedder: embedder!,
          logger,
          ...(store.encryption ? { openTexts: hybrid.openTexts } : {}),
        });
        await worker.drain();
        const left = await worker.queueDepth();
        if (left > 0) throw new Error(`${left} turns were not embedded (the embeddings endpoint failed)`);
      }
      const base = baseline(turns);
      for (const q of s.qa) {
        const evidence = evidenceOf(q);
        if (q.category < 1 || q.category > 4 || evidence.length === 0) continue;
        const hits = await repo.search({ userId: s.sample_id, familiarId: 'f', q: q.question, kinds: ['turn'], limit: 10 });
        const ranked = hits.map((h) => byRef.get(h.sourceRef ?? '') ?? '');
        const b = base(q.question);
        if (hybrid) {
          const fused = await hybrid.search({ userId: s.sample_id, familiarId: 'f', q: q.question, kinds: ['turn'], limit: 10 });
          const h = fused.map((m) => byRef.get(m.sourceRef ?? '') ?? '');
          sums.h5 += recallAt(h, evidence, 5);
          sums.h10 += recallAt(h, evidence, 10);
          const c = perCategory.get(q.category) ?? { r10: 0, b10: 0, h10: 0, n: 0 };
          c.h10 += recallAt(h, evidence, 10);
          perCategory.set(q.category, c);
        }
        sums.r5 += recallAt(ranked, evidence, 5);
        sums.r10 += recallAt(ranked, evidence, 10);
        sums.b5 += recallAt(b, evidence, 5);
        sums.b10 += recallAt(b, evidence, 10);
        sums.n++;
        const c = perCategory.get(q.category) ?? { r10: 0, b10: 0, h10: 0, n: 0 };
        c.r10 += recallAt(ranked, evidence, 10);
        c.b10 += recallAt(b, evidence, 10);
        c.n++;
        perCategory.set(q.category, c);
      }
    } finally {
      await store.close();
    }
  }
  if (embeddings && embeddings.failures() > 0)
    throw new Error(`${embeddings.failures()} embedding requests failed: the hybrid figures would be partly lexical`);
  const r = (x: number) => Math.round((x / sums.n) * 1000) / 1000;
  const result = {
    recallAt5: r(sums.r5),
    recallAt10: r(sums.r10),
    baselineRecallAt5: r(sums.b5),
    baselineRecallAt10: r(sums.b10),
    questions: sums.n,
    captions,
    // Only with an embedder: the same questions through hybrid search.
    ...(embeddings ? { hybridRecallAt5: r(sums.h5), hybridRecallAt10: r(sums.h10), embedModel: embeddings.label } : {}),
  };
  if (argv.includes('--json')) {
    console.log(JSON.stringify(result));
    return;
  }
  if (embeddings) {
    console.log(`LoCoMo evidence recall (${file}, ${samples.length} conversations, ${sums.n} questions, categories 1-4)`);
    console.log('| retrieval | recall@5 | recall@10 |\n|---|---|---|');
    console.log(`| Hearth past turns, lexical only (no embeddings) | ${result.recallAt5} | ${result.recallAt10} |`);
    console.log(`| Hearth past turns, hybrid (BM25 + vectors, ${embeddings.label}) | ${r(sums.h5)} | ${r(sums.h10)} |`);
    console.log(`| baseline: plain BM25 (FTS5 unicode61) | ${result.baselineRecallAt5} | ${result.baselineRecallAt10} |`);
    console.log('\n| category | questions | lexical @10 | hybrid @10 | baseline @10 |\n|---|---|---|---|---|');
    for (const [cat, c] of [...perCategory].sort((a, b) => a[0] - b[0]))
      console.log(`| ${cat} | ${c.n} | ${(c.r10 / c.n).toFixed(3)} | ${(c.h10 / c.n).toFixed(3)} | ${(c.b10 / c.n).toFixed(3)} |`);
    return;
  }
  console.log(`LoCoMo evidence recall (${file}, ${samples.length} conversations, ${sums.n} questions, categories 1-4)`);
  console.log('| retrieval | recall@5 | recall@10 |\n|---|---|---|');
  console.log(`| Hearth past turns (no embeddings) | ${result.recallAt5} | ${result.recallAt10} |`);
  console.log(`| baseline: plain BM25 (FTS5 unicode61) | ${result.baselineRecallAt5} | ${result.baselineRecallAt10} |`);
  console.log('\n| category | questions | Hearth @10 | baseline @10 |\n|---|---|---|---|');
  for (const [cat, c] of [...perCategory].sort((a, b) => a[0] - b[0]))
    console.log(`| ${cat} | ${c.n} | ${(c.r10 / c.n).toFixed(3)} | ${(c.b10 / c.n).toFixed(3)} |`);
}
