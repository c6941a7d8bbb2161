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
export interface Scope {
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
    parts.push(dialect === 'sqlite' ? sql`cast(json_extract(m.metadata, ${`$.${key}`}) as text) = ${v}` : sql`(m.metadata::jsonb ->> ${key}) = ${v}`);
  }
  return sql.join(parts, sql` and `);
}

/** Numbers each scoped hit within its kind (per-kind limits) or overall, so `n <= cap` keeps the top ones. */
function topOf(limit: HitLimit, order: RawBuilder<unknown>) {
  if (typeof limit === 'number') return { number: sql`row_number() over (order by ${order})`, cap: sql`${limit}` };
  const cases = Object.entries(limit).map(([kind, n]) => sql`when ${kind} then ${n}`);
  return { number: sql`row_number() over (partition by m.kind order by ${order})`, cap: sql`(case kind ${sql.join(cases, sql` `)} else 0 end)` };
}

/** The index for this database: FTS5 (SQLite) or tsvector (PostgreSQL), plus int8 vectors with a binary pre-filter. */
export function createSearchIndex(storage: Storage): SearchIndex {
  const db = storage.db.withTables<MemoryTables>();
  const vectors = createVectorIndex(db);
  return storage.dialect === 'sqlite' ? sqliteIndex() : postgresIndex();

  /** Nearest vectors of the person, then the scope's other filters (familiar, kind, metadata) in SQL. */
  async function nearestInScope(scope: Scope, vector: Float32Array, limit: number): Promise<Hit[]> {
    const near = await vectors.nearest(scope.userId, vector, limit * 4);
    if (near.length === 0) return [];
    const allowed = await sql<{ seq: number; kind: string }>`select m.seq as seq, m.kind as kind from memory_items m where m.seq in (${sql.join(near.map((r) => sql`${r.seq}`))}) and ${filterSql(scope, storage.dialect, { checkOnly: true })}`.execute(db);
    const kinds = new Map(allowed.rows.map((r) => [Number(r.seq), r.kind]));
    return near.flatMap((r) => (kinds.has(r.seq) ? [{ ...r, kind: kinds.get(r.seq)! }] : [])).slice(0, limit);
  }

  function sqliteIndex(): SearchIndex {
    const planner = createTermPlanner(storage.sqlite!);
    /**
     * Scores the matches (all, or only the `newest`), keeps those in scope and returns the top
     * ones with the number of matches scored. One query shape per scope shape: the storage's
     * statement cache keeps it prepared.
     */
    async function ranked(scope: Scope, match: string, limit: HitLimit, newest?: number): Promise<{ hits: Hit[]; matches: number }> {
      const scored = sql`select f.rowid as seq, bm25(memory_fts, 1.0, ${sql.lit(CONTEXT_WEIGHT)}) as rank from memory_fts f where memory_fts match ${match}`;
      // FTS5 walks its matches newest first (rowid desc), so the limit stops the walk.
      const source = newest === undefined ? scored : sql`${scored} order by f.rowid desc limit ${sql.lit(newest)}`;
      const top = topOf(limit, sql`h.rank, h.seq desc`);
      const { rows } = await sql<{ matches: number; seq: number | null; rank: number | null; kind: string | null }>`
        with h as materialized (${source}),
        top as (select seq, rank, kind from (select h.seq as seq, h.rank as rank, m.kind as kind, ${top.number} as n from h cross join memory_items m on m.seq = h.seq where ${filterSql(scope, 'sqlite')}) where n <= ${top.cap})
        select (select count(*) from h) as matches, top.seq as seq, top.rank as rank, top.kind as kind from (select 1) left join top on 1 order by top.rank`.execute(db);
      const hits = rows.flatMap((r) => (r.seq === null ? [] : [{ seq: Number(r.seq), score: -Number(r.rank), kind: r.kind! }]));
      return { hits, matches: Number(rows[0]?.matches ?? 0) };
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
        // One pass over the newest budget + 1 matches: whenever those are all of them (nearly
        // always), this is the exact answer and no planning is needed.
        const first = await ranked(scope, planner.matchAny(terms), limit, planner.budget + 1);
        if (first.matches <= planner.budget) return first.hits;
        const plan = planner.plan(terms, { overBudget: true });
        return (await ranked(scope, plan.match, limit, plan.recentOnly ? planner.recentMatches : undefined)).hits;
      },
      putVector: (seq, userId, vector) => vectors.put(db, seq, userId, vector),
      nearest: (scope, vector, limit) => nearestInScope(scope, vector, limit),
      async compact() {
        // Contentless-delete leaves tombstones in old segments until they merge; optimize merges them all.
        await sql`insert into memory_fts(memory_fts) values ('optimize')`.execute(db);
      },
    };
  }

  function postgresIndex(): SearchIndex {
    const indexRows: SearchIndex['index'] = async (tx, rows) => {
      for (const r of rows) await sql`update memory_items set tsv = setweight(to_tsvector('english', ${indexBody(r.userId, r.text)}), 'A') || setweight(to_tsvector('english', ${indexBody(r.userId, r.context ?? '')}), 'C') where seq = ${r.seq}`.execute(tx);
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
        const query = sql`to_tsquery('english', ${terms.join(' | ')})`;
        const top = topOf(limit, sql`ts_rank(m.tsv, ${query}) desc, m.seq desc`);
        const rows = await sql<{ seq: number; score: number; kind: string }>`
          select seq, score, kind from (
            select m.seq as seq, ts_rank(m.tsv, ${query}) as score, m.kind as kind, ${top.number} as n from memory_items m
            where m.tsv @@ ${query} and ${filterSql(scope, 'postgres')}) ranked
          where n <= ${top.cap} order by score desc, seq desc`.execute(db);
        return rows.rows.map((r) => ({ seq: Number(r.seq), score: Number(r.score), kind: r.kind }));
      },
      putVector: (seq, userId, vector) => vectors.put(db, seq, userId, vector),
      nearest: (scope, vector, limit) => nearestInScope(scope, vector, limit),
      async compact() {
        // Deleted rows (and their tsvector) are reclaimed by autovacuum; nothing to merge here.
      },
    };
  }
}
