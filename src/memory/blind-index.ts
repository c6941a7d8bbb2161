import { sql } from 'kysely';
import type { Storage } from '../storage/index.js';
import { porterStem } from './blind-index-stem.js';
import type { MemoryCipher } from './encryption.js';
import { bestRows, type Hit, type SearchIndex } from './search-index.js';
import type { MemoryDb } from './tables.js';
import { indexBody, queryTerms } from './tokens.js';

type Scope = Parameters<SearchIndex['lexical']>[0];
type IndexRow = Parameters<SearchIndex['index']>[1][number];

/** BM25 parameters (those of FTS5 and Lucene). */
const K1 = 1.2;
const B = 0.75;
/** Weight of the neighbour context against the text, as the FTS5 column weight. */
const CONTEXT_WEIGHT = 0.5;
const KEY = /^[A-Za-z0-9_]{1,64}$/;
/** BM25's collection figures of one person change slowly: kept this long in process, for this many people. */
const STATS_TTL_MS = 60_000;
const STATS_PEOPLE = 1_000;

/**
 * The normalized words of a text: the lexical index's own (tokens.ts: NFKC, lower case, letters
 * and digits, stop words removed), with the scope prefix it adds taken off again, then stemmed.
 */
function stems(userId: string, text: string, distinct = false): string[] {
  const prefix = indexBody(userId, 'x').length - 1;
  const scoped = distinct ? queryTerms(userId, text) : indexBody(userId, text).split(' ');
  const out = scoped.filter((t) => t.length > prefix).map((t) => porterStem(t.slice(prefix)));
  return distinct ? [...new Set(out)] : out;
}

/**
 * The scope as SQL over `memory_items m` (owner always; familiar, kinds and metadata when given),
 * for rows already chosen by primary key: each column is wrapped (`|| ''`) so no index can serve
 * the check. Otherwise PostgreSQL, with stale statistics, walks a heavy person's owner index once
 * per scored entry (1.1 s at 5,000 entries, measured; 1 ms by primary key).
 */
function scopeSql(scope: Scope) {
  const parts = [sql`(m.user_id || '') = ${scope.userId}`];
  if (scope.familiarId !== undefined) parts.push(sql`(m.familiar_id || '') = ${scope.familiarId}`);
  if (scope.kinds?.length) parts.push(sql`(m.kind || '') in (${sql.join(scope.kinds.map((k) => sql`${k}`))})`);
  for (const [key, value] of Object.entries(scope.metadata ?? {})) {
    if (!KEY.test(key)) throw new Error('invalid metadata key');
    parts.push(sql`(m.metadata::jsonb ->> ${key}) = ${String(value)}`);
  }
  return sql.join(parts, sql` and `);
}

/**
 * The lexical index of PostgreSQL with column encryption (DATA-2): a blind token index. Each
 * stemmed word of a memory becomes HMAC-SHA256(index key, person ∥ word) (16 bytes) in
 * `memory_blind_terms`, with its term frequency (the neighbour context at half weight) and the
 * entry's length; a search turns the query's words into tokens the same way and ranks the matches
 * with BM25 in SQL (the person's entry count and mean length from `memory_items.blind_len`). No
 * word is stored or sent to the database in the clear; what the index does reveal is which of one
 * person's entries share a word, and how long they are (see docs/privacy.md). Vectors are the
 * ordinary index's (`base`).
 */
export function createBlindSearchIndex(storage: Storage, base: SearchIndex, cipher: () => Promise<MemoryCipher>): SearchIndex {
  if (storage.dialect !== 'postgres') throw new Error('the blind index is for PostgreSQL (SQLite encrypts the whole file)');
  const db = storage.db.withTables<Record<string, never>>() as unknown as MemoryDb;
  const stats = new Map<string, { n: number; avgdl: number; at: number }>();

  /** The person's entry count and mean length (a scan of their covering index, so cached a while). */
  async function statsOf(userId: string): Promise<{ n: number; avgdl: number }> {
    const hit = stats.get(userId);
    if (hit && Date.now() - hit.at < STATS_TTL_MS) return hit;
    const { rows } = await sql<{
      n: number;
      avgdl: number | null;
    }>`select count(*)::float8 as n, avg(blind_len)::float8 as avgdl from memory_items where user_id = ${userId} and blind_len is not null`.execute(
      db,
    );
    const fresh = { n: Number(rows[0]?.n ?? 0), avgdl: Math.max(1, Number(rows[0]?.avgdl ?? 1)), at: Date.now() };
    stats.delete(userId);
    if (stats.size >= STATS_PEOPLE) stats.delete(stats.keys().next().value!);
    stats.set(userId, fresh);
    return fresh;
  }

  async function indexRows(tx: MemoryDb, rows: readonly IndexRow[]) {
    if (rows.length === 0) return;
    const c = await cipher();
    const seqs: number[] = [];
    const users: string[] = [];
    const terms: Buffer[] = [];
    const tfs: number[] = [];
    const lens: number[] = [];
    const docSeqs: number[] = [];
    const docLens: number[] = [];
    for (const r of rows) {
      const counts = new Map<string, number>();
      const body = stems(r.userId, r.text);
      const context = stems(r.userId, r.context ?? '');
      for (const w of body) counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const w of context) counts.set(w, (counts.get(w) ?? 0) + CONTEXT_WEIGHT);
      const len = body.length + CONTEXT_WEIGHT * context.length;
      docSeqs.push(r.seq);
      docLens.push(len);
      for (const [w, tf] of counts) {
        seqs.push(r.seq);
        users.push(r.userId);
        terms.push(c.token(r.userId, w));
        tfs.push(tf);
        lens.push(len);
      }
    }
    // Arrays, not one parameter per value: a batch of 1,000 entries has ~12,000 terms.
    if (seqs.length > 0)
      await sql`insert into memory_blind_terms (seq, user_id, term, tf, len) select * from unnest(${seqs}::bigint[], ${users}::text[], ${terms}::bytea[], ${tfs}::real[], ${lens}::real[])`.execute(
        tx,
      );
    // The length is also the mark that the entry is in this index (counted for BM25; converted).
    await sql`update memory_items m set blind_len = v.len, tsv = null from unnest(${docSeqs}::bigint[], ${docLens}::real[]) as v(seq, len) where m.seq = v.seq`.execute(
      tx,
    );
  }
  const dropTerms = (tx: MemoryDb, seqs: readonly number[]) =>
    seqs.length === 0 ? Promise.resolve() : sql`delete from memory_blind_terms where seq = any(${[...seqs]}::bigint[])`.execute(tx);

  return {
    ...base,
    index: indexRows,
    async unindex(tx, seqs) {
      await dropTerms(tx, seqs);
      await base.unindex(tx, seqs);
    },
    async reindex(tx, rows) {
      await dropTerms(
        tx,
        rows.map((r) => r.seq),
      );
      await indexRows(tx, rows);
    },
    async lexical(scope, q, limit) {
      const words = stems(scope.userId, q, true);
      if (words.length === 0) return [];
      const c = await cipher();
      const tokens = words.map((w) => c.token(scope.userId, w));
      const { n, avgdl } = await statsOf(scope.userId);
      // Matches first, scored, then each checked by primary key (scopeSql).
      const scored = sql`
        with t as materialized (select seq, term, tf, len from memory_blind_terms where user_id = ${scope.userId} and term = any(${tokens}::bytea[])),
        d as (select term, ln(1 + (greatest(${n}::float8, count(*)) - count(*) + 0.5) / (count(*) + 0.5)) as idf from t group by term),
        r as materialized (select t.seq as seq, sum(d.idf * t.tf * ${K1 + 1} / (t.tf + ${K1} * (${1 - B} + ${B} * t.len / ${avgdl}::float8))) as score
              from t join d on d.term = t.term group by t.seq)
        select r.seq as seq, r.score as score, m.kind as kind from r join memory_items m on m.seq = r.seq where ${scopeSql(scope)}`;
      const rows = await sql<{
        seq: number;
        score: number;
        kind: string;
      }>`${bestRows(scored, limit)} order by score desc, seq desc`.execute(db);
      return rows.rows.map((r): Hit => ({ seq: Number(r.seq), score: Number(r.score), kind: r.kind }));
    },
    async compact() {
      // Deleted terms are reclaimed by autovacuum, as the tsvector is.
    },
  };
}
