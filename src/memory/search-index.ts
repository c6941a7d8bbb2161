import { sql, type RawBuilder } from 'kysely';
import type { Storage } from '../storage/index.js';
import { createTermPlanner } from './common-terms.js';
import { checkOnly } from './planner.js';
import { createVectorIndex } from './vector-index.js';
import type { MemoryDb, MemoryTables } from './tables.js';
import { indexBody, queryTerms } from './tokens.js';

export interface Hit {
  readonly seq: number;
  readonly score: number;
  readonly kind: string;
}

/** How many hits to return: in all, or per kind (the kinds searched are then its keys). */
export type HitLimit = number | Readonly<Record<string, number>>;

/** What filters the candidate rows in SQL, next to the scoped index match. */
interface Scope {
  readonly userId: string;
  readonly familiarId?: string | undefined;
  readonly kinds?: readonly string[] | undefined;
  readonly metadata?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** The lexical and vector index behind the memory repository; one implementation per database. */
export interface SearchIndex {
  /** Index rows written in the caller's transaction (`db`). */
  index(db: MemoryDb, rows: ReadonlyArray<{ seq: number; userId: string; text: string; context?: string | null }>): Promise<void>;
  /** Removes rows from the lexical index and drops their vectors (deleted, or text changed). */
  unindex(db: MemoryDb, seqs: readonly number[]): Promise<void>;
  /** Replaces the lexical entries of rows whose context changed; their vectors stay. */
  reindex(db: MemoryDb, rows: ReadonlyArray<{ seq: number; userId: string; text: string; context?: string | null }>): Promise<void>;
  /** BM25 over the person's scoped terms, best first within each kind when `limit` is per kind. */
  lexical(scope: Scope, q: string, limit: HitLimit): Promise<Hit[]>;
  putVector(seq: number, userId: string, vector: Float32Array): Promise<void>;
  nearest(scope: Scope, vector: Float32Array, limit: number): Promise<Hit[]>;
  /** Rewrites the index so deleted entries leave no trace in it (after an erasure). */
  compact(): Promise<void>;
  /** Drops the in-process vector cache; the next search reloads from the database (the `invalidate` webhook). */
  dropCaches(): void;
}

const KEY = /^[A-Za-z0-9_]{1,64}$/;
/** Weight of the context column against the text (BM25 column weight). */
const CONTEXT_WEIGHT = 0.5;

/**
 * The scope as SQL over `memory_items m`. With `checkOnly`, the columns only check rows already
 * chosen by primary key (see planner.ts), so a heavy person's owner index is never walked.
 */
function filterSql(scope: Scope, dialect: Storage['dialect'], options: { checkOnly?: boolean } = {}) {
  const col = (name: string) => (options.checkOnly ? checkOnly(dialect, `m.${name}`) : sql.ref(`m.${name}`));
  const parts = [sql`${col('user_id')} = ${scope.userId}`];
  if (scope.familiarId !== undefined) parts.push(sql`${col('familiar_id')} = ${scope.familiarId}`);
  if (scope.kinds?.length) parts.push(sql`${col('kind')} in (${sql.join(scope.kinds.map((k) => sql`${k}`))})`);
  for (const [key, value] of Object.entries(scope.metadata ?? {})) {
    if (!KEY.test(key)) throw new Error('invalid metadata key');
    const v = String(value);
    parts.push(
      dialect === 'sqlite' ? sql`cast(json_extract(m.metadata, ${`$.${key}`}) as text) = ${v}` : sql`(m.metadata::jsonb ->> ${key}) = ${v}`,
    );
  }
  return sql.join(parts, sql` and `);
}

/**
 * The best rows of `scored` (columns seq, score, kind; higher scores first): a bounded sort for a
 * limit in all, or rows numbered within their kind for a limit per kind. The blind index uses it too.
 */
export function bestRows(scored: RawBuilder<unknown>, limit: HitLimit): RawBuilder<unknown> {
  if (typeof limit === 'number') return sql`select * from (${scored} order by score desc, seq desc limit ${limit}) b`;
  const cap = sql.join(
    Object.entries(limit).map(([kind, n]) => sql`when ${kind} then ${n}`),
    sql` `,
  );
  return sql`select seq, score, kind from (select seq, score, kind, row_number() over (partition by kind order by score desc, seq desc) as n from (${scored}) s) b where n <= (case kind ${cap} else 0 end)`;
}

/** BM25 parameters (those of FTS5 and Lucene). */
const K1 = 1.2;
const B = 0.75;

/**
 * BM25 over the tsvector: PostgreSQL has none of its own, and `ts_rank` has no IDF (LoCoMo
 * recall@10 0.650 with it, against FTS5's 0.706). The GIN index finds the person's matches; each
 * match's query lexemes give the term frequency (text positions count 1, context positions
 * `CONTEXT_WEIGHT`), the matches themselves each lexeme's document frequency, `entries` (the
 * person's entry count, in the statement's `s`) the collection size; the length is the entry's
 * distinct lexemes, against the mean of the matches. Columns seq, score, kind.
 */
function bm25Sql(scope: Scope, terms: readonly string[]): RawBuilder<unknown> {
  const query = sql`to_tsquery('english', ${terms.join(' | ')})`;
  const lexemes = sql`tsvector_to_array(to_tsvector('english', ${terms.join(' ')}))`;
  // Each match's vector cut to the query's lexemes (all others deleted) before it is unnested:
  // about 15% less CPU than unnesting every lexeme and filtering (1,000 matches, measured).
  const only = (tsv: RawBuilder<unknown>, keep: RawBuilder<unknown>) =>
    sql`ts_delete(${tsv}, tsvector_to_array(ts_delete(${tsv}, ${keep})))`;
  const tf = sql`(cardinality(array_positions(x.weights, 'A')) + ${sql.lit(CONTEXT_WEIGHT)} * cardinality(array_positions(x.weights, 'C')))::float8`;
  return sql`
    with c as materialized (select m.seq as seq, m.kind as kind, m.tsv as tsv, length(m.tsv)::float8 as len from memory_items m where m.tsv @@ ${query} and ${filterSql(scope, 'postgres')}),
    u as materialized (select c.seq, c.kind, c.len, x.lexeme, ${tf} as tf from c cross join lateral unnest(${only(sql`c.tsv`, lexemes)}) x),
    a as (select greatest(avg(len), 1) as avgdl from c),
    d as (select lexeme, ln(1 + (greatest((select n from s), count(*)) - count(*) + 0.5) / (count(*) + 0.5)) as idf from u group by lexeme)
    select u.seq as seq, sum(d.idf * u.tf * ${sql.lit(K1 + 1)} / (u.tf + ${sql.lit(K1)} * (${sql.lit(1 - B)} + ${sql.lit(B)} * u.len / a.avgdl))) as score, u.kind as kind
      from u join d on d.lexeme = u.lexeme cross join a group by u.seq, u.kind`;
}

/**
 * Entries per person (BM25's collection size), kept a minute: a search that finds none cached
 * counts them on the owner index in its own statement and keeps the figure it returns.
 */
function createEntryCounts() {
  const TTL_MS = 60_000;
  const PEOPLE = 1_000;
  const counts = new Map<string, { n: number; at: number }>();
  return {
    /** The cached count, as SQL, or the count itself when none is cached. */
    sql(userId: string): RawBuilder<unknown> {
      const hit = counts.get(userId);
      if (hit && Date.now() - hit.at < TTL_MS) return sql`${sql.lit(hit.n)}::float8`;
      return sql`(select count(*) from memory_items where user_id = ${userId})::float8`;
    },
    keep(userId: string, n: number) {
      const hit = counts.get(userId);
      if (hit && hit.n === n && Date.now() - hit.at < TTL_MS) return;
      counts.delete(userId);
      if (counts.size >= PEOPLE) counts.delete(counts.keys().next().value!);
      counts.set(userId, { n, at: Date.now() });
    },
  };
}

/** The index for this database: FTS5 (SQLite) or tsvector (PostgreSQL), plus int8 vectors with a binary pre-filter. */
export function createSearchIndex(storage: Storage): SearchIndex {
  const db = storage.db.withTables<MemoryTables>();
  const vectors = createVectorIndex(db);
  const index = storage.dialect === 'sqlite' ? sqliteIndex() : postgresIndex();
  return { ...index, dropCaches: () => vectors.clear() };

  /** Nearest vectors of the person, then the scope's other filters (familiar, kind, metadata) in SQL. */
  async function nearestInScope(scope: Scope, vector: Float32Array, limit: number): Promise<Hit[]> {
    const near = await vectors.nearest(scope.userId, vector, limit * 4);
    if (near.length === 0) return [];
    const allowed = await sql<{
      seq: number;
      kind: string;
    }>`select m.seq as seq, m.kind as kind from memory_items m where m.seq in (${sql.join(near.map((r) => sql`${r.seq}`))}) and ${filterSql(scope, storage.dialect, { checkOnly: true })}`.execute(
      db,
    );
    const kinds = new Map(allowed.rows.map((r) => [Number(r.seq), r.kind]));
    return near.flatMap((r) => (kinds.has(r.seq) ? [{ ...r, kind: kinds.get(r.seq)! }] : [])).slice(0, limit);
  }

  function sqliteIndex(): Omit<SearchIndex, 'dropCaches'> {
    const planner = createTermPlanner(storage.sqlite!);
    /**
     * Which matches a query scores: every one; only the `newest` N; or every one only if there are
     * at most `budget` of them (counted first, cheaply, in the same statement; past the budget
     * nothing is scored, so a heavy person's common words never cost thousands of BM25 scores).
     */
    type Scoring = { all: true } | { newest: number } | { budget: number };
    /**
     * Scores the matches in scope and returns the top ones (overall, or per kind), with the number
     * of matches when counted against a budget. One query shape per scope shape: the storage's
     * statement cache keeps it prepared.
     */
    async function ranked(scope: Scope, match: string, limit: HitLimit, scoring: Scoring): Promise<{ hits: Hit[]; matches: number }> {
      const budget = 'budget' in scoring ? scoring.budget : undefined;
      // Past the budget the scan gets a query that matches nothing, so no match is even walked (a
      // condition next to MATCH would be tested on every match). Every indexed token carries a
      // 13-letter scope prefix (tokens.ts), so the bare word never matches.
      const query =
        budget === undefined ? sql`${match}` : sql`(case when (select n from c) <= ${sql.lit(budget)} then ${match} else 'nomatch' end)`;
      let scored = sql`select m.seq as seq, -bm25(memory_fts, 1.0, ${sql.lit(CONTEXT_WEIGHT)}) as score, m.kind as kind from memory_fts f cross join memory_items m on m.seq = f.rowid where memory_fts match ${query} and ${filterSql(scope, 'sqlite')}`;
      // FTS5 walks its matches newest first (rowid desc), so the limit stops the walk.
      if ('newest' in scoring) scored = sql`select * from (${scored} order by f.rowid desc limit ${sql.lit(scoring.newest)})`;
      const top = bestRows(scored, limit);
      type Row = { seq: number | null; score: number | null; kind: string | null };
      const toHits = (rows: Row[]) =>
        rows.flatMap((r) => (r.seq === null ? [] : [{ seq: Number(r.seq), score: Number(r.score), kind: r.kind! }]));
      if (budget === undefined) {
        const { rows } = await sql<Row>`${top} order by score desc, seq desc`.execute(db);
        return { hits: toHits(rows), matches: rows.length };
      }
      const { rows } = await sql<Row & { matches: number }>`
        with c as materialized (select count(*) as n from (select rowid from memory_fts where memory_fts match ${match} limit ${sql.lit(budget + 1)}))
        select c.n as matches, t.seq as seq, t.score as score, t.kind as kind from c left join (${top}) t on 1 order by t.score desc, t.seq desc`.execute(
        db,
      );
      return { hits: toHits(rows), matches: Number(rows[0]?.matches ?? 0) };
    }
    const indexRows: SearchIndex['index'] = async (tx, rows) => {
      if (rows.length === 0) return;
      const values = rows.map((r) => sql`(${r.seq}, ${indexBody(r.userId, r.text)}, ${indexBody(r.userId, r.context ?? '')})`);
      await sql`insert into memory_fts(rowid, body, context) values ${sql.join(values)}`.execute(tx);
    };
    return {
      index: indexRows,
      async unindex(tx, seqs) {
        for (const seq of seqs) await sql`delete from memory_fts where rowid = ${seq}`.execute(tx);
        await vectors.remove(tx, seqs);
      },
      async reindex(tx, rows) {
        for (const r of rows) await sql`delete from memory_fts where rowid = ${r.seq}`.execute(tx);
        await indexRows(tx, rows);
      },
      async lexical(scope, q, limit) {
        const terms = queryTerms(scope.userId, q);
        if (terms.length === 0) return [];
        // One statement for nearly everyone: count the matches up to the budget and, within it,
        // score them all. Past the budget the terms are planned (common-terms.ts) and run again.
        const first = await ranked(scope, planner.matchAny(terms), limit, { budget: planner.budget });
        if (first.matches <= planner.budget) return first.hits;
        const plan = planner.plan(terms, { overBudget: true });
        return (await ranked(scope, plan.match, limit, plan.recentOnly ? { newest: planner.recentMatches } : { all: true })).hits;
      },
      putVector: (seq, userId, vector) => vectors.put(db, seq, userId, vector),
      nearest: (scope, vector, limit) => nearestInScope(scope, vector, limit),
      async compact() {
        // Contentless-delete leaves tombstones in old segments until they merge; optimize merges them all.
        await sql`insert into memory_fts(memory_fts) values ('optimize')`.execute(db);
      },
    };
  }

  function postgresIndex(): Omit<SearchIndex, 'dropCaches'> {
    const entries = createEntryCounts();
    const indexRows: SearchIndex['index'] = async (tx, rows) => {
      if (rows.length === 0) return;
      // One statement for the batch (arrays, not a statement per row).
      await sql`update memory_items m set tsv = setweight(to_tsvector('english', v.body), 'A') || setweight(to_tsvector('english', v.context), 'C') from unnest(${rows.map((r) => r.seq)}::bigint[], ${rows.map((r) => indexBody(r.userId, r.text))}::text[], ${rows.map((r) => indexBody(r.userId, r.context ?? ''))}::text[]) as v(seq, body, context) where m.seq = v.seq`.execute(
        tx,
      );
    };
    return {
      index: indexRows,
      async unindex(tx, seqs) {
        await vectors.remove(tx, seqs);
      },
      // Updating the tsvector replaces it.
      reindex: indexRows,
      async lexical(scope, q, limit) {
        const terms = queryTerms(scope.userId, q);
        if (terms.length === 0) return [];
        type Row = { n: number; seq: number | null; score: number | null; kind: string | null };
        // The count comes back beside the hits (one row with null hits when nothing matched).
        const { rows } = await sql<Row>`
          with s as materialized (select ${entries.sql(scope.userId)} as n)
          select s.n as n, t.seq as seq, t.score as score, t.kind as kind from s left join (${bestRows(bm25Sql(scope, terms), limit)}) t on true
          order by t.score desc, t.seq desc`.execute(db);
        if (rows[0]) entries.keep(scope.userId, Number(rows[0].n));
        return rows.flatMap((r) => (r.seq === null ? [] : [{ seq: Number(r.seq), score: Number(r.score), kind: r.kind! }]));
      },
      putVector: (seq, userId, vector) => vectors.put(db, seq, userId, vector),
      nearest: (scope, vector, limit) => nearestInScope(scope, vector, limit),
      async compact() {
        // Deleted rows (and their tsvector) are reclaimed by autovacuum; nothing to merge here.
      },
    };
  }
}
