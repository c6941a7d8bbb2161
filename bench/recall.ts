// `npm run bench -- recall [--data PATH] [--json] [--captions] [--postgres] [--encrypted]`: LoCoMo
// evidence recall@5/@10 of Hearth's past-turn retrieval (no embeddings) next to plain BM25 over the
// raw turns. SQLite by default; --postgres on PostgreSQL, with --encrypted there through the blind
// index of column encryption (DATA-2; bench/_memory-store.ts).
import { readFileSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { createMemoryRepository, createMemoryRetriever } from '../src/memory/index.js';
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

export async function main(argv: string[]): Promise<void> {
  const file = flag(argv, '--data') ?? new URL('../../shared/data/locomo/locomo-dev.json', import.meta.url).pathname;
  const captions = argv.includes('--captions');
  const samples = JSON.parse(readFileSync(file, 'utf8')) as Sample[];
  const sums = { r5: 0, r10: 0, b10: 0, b5: 0, n: 0 };
  const perCategory = new Map<number, { r10: number; b10: number; n: number }>();
  for (const s of samples) {
    const turns = turnsOf(s);
    const store = await openBenchStore(argv, 'hearth-recall-');
    try {
      const repo = createMemoryRepository({ storage: store.storage, encryption: store.encryption });
      const retriever = createMemoryRetriever(repo);
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
      const base = baseline(turns);
      for (const q of s.qa) {
        const evidence = evidenceOf(q);
        if (q.category < 1 || q.category > 4 || evidence.length === 0) continue;
        const hits = await repo.search({ userId: s.sample_id, familiarId: 'f', q: q.question, kinds: ['turn'], limit: 10 });
        const ranked = hits.map((h) => byRef.get(h.sourceRef ?? '') ?? '');
        const b = base(q.question);
        sums.r5 += recallAt(ranked, evidence, 5);
        sums.r10 += recallAt(ranked, evidence, 10);
        sums.b5 += recallAt(b, evidence, 5);
        sums.b10 += recallAt(b, evidence, 10);
        sums.n++;
        const c = perCategory.get(q.category) ?? { r10: 0, b10: 0, n: 0 };
        c.r10 += recallAt(ranked, evidence, 10);
        c.b10 += recallAt(b, evidence, 10);
        c.n++;
        perCategory.set(q.category, c);
      }
    } finally {
      await store.close();
    }
  }
  const r = (x: number) => Math.round((x / sums.n) * 1000) / 1000;
  const result = {
    recallAt5: r(sums.r5),
    recallAt10: r(sums.r10),
    baselineRecallAt5: r(sums.b5),
    baselineRecallAt10: r(sums.b10),
    questions: sums.n,
    captions,
  };
  if (argv.includes('--json')) {
    console.log(JSON.stringify(result));
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
