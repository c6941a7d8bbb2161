import { sql } from 'kysely';
import type { Storage } from '../storage/index.js';
import { createTermPlanner } from './common-terms.js';
import { checkOnly } from './planner.js';
import { createVectorIndex } from './vector-index.js';
import type { MemoryDb, MemoryTables } from './tables.js';
import { indexBody, queryTerms } from './tokens.js';

export interface Hit {
  readonly seq: number;
  readonly score: number;
}

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
  lexical(scope: Scope, q: string, limit: number): Promise<Hit[]>;
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

/** The index for this database: FTS5 (SQLite) or tsvector (PostgreSQL), plus int8 vectors with a binary pre-filter. */
export function createSearchIndex(storage: Storage): SearchIndex {
  const db = storage.db.withTables<MemoryTables>();
  const vectors = createVectorIndex(db);
  return storage.dialect === 'sqlite' ? sqliteIndex() : postgresIndex();

  /** Nearest vectors of the person, then the scope's other filters (familiar, kind, metadata) in SQL. */
  async function nearestInScope(scope: Scope, vector: Float32Array, limit: number): Promise<Hit[]> {
    const near = await vectors.nearest(scope.userId, vector, limit * 4);
    if (near.length === 0) return [];
    const allowed = await sql<{ seq: number }>`select m.seq as seq from memory_items m where m.seq in (${sql.join(near.map((r) => sql`${r.seq}`))}) and ${filterSql(scope, storage.dialect, { checkOnly: true })}`.execute(db);
    const ok = new Set(allowed.rows.map((r) => Number(r.seq)));
    return near.filter((r) => ok.has(r.seq)).slice(0, limit);
  }

  function sqliteIndex(): SearchIndex {
    const planner = createTermPlanner(storage.sqlite!);
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
        const plan = planner.plan(terms);
        // One query shape per scope shape: the storage's statement cache keeps it prepared.
        const select = sql`select m.seq as seq, bm25(memory_fts, 1.0, ${sql.lit(CONTEXT_WEIGHT)}) as rank from memory_fts f cross join memory_items m on m.seq = f.rowid where memory_fts match ${plan.match} and ${filterSql(scope, 'sqlite')}`;
        // FTS5 walks its matches newest first (rowid desc), so the subquery stops after recentMatches rows.
        const query = plan.recentOnly
          ? sql<{ seq: number; rank: number }>`select seq, rank from (${select} order by f.rowid desc limit ${sql.lit(planner.recentMatches)}) order by rank limit ${limit}`
          : sql<{ seq: number; rank: number }>`${select} order by rank limit ${limit}`;
        const rows = await query.execute(db);
        return rows.rows.map((r) => ({ seq: Number(r.seq), score: -r.rank }));
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
        const rows = await sql<{ seq: number; score: number }>`
          select m.seq as seq, ts_rank(m.tsv, ${query}) as score from memory_items m
          where m.tsv @@ ${query} and ${filterSql(scope, 'postgres')} order by score desc limit ${limit}`.execute(db);
        return rows.rows.map((r) => ({ seq: Number(r.seq), score: Number(r.score) }));
      },
      putVector: (seq, userId, vector) => vectors.put(db, seq, userId, vector),
      nearest: (scope, vector, limit) => nearestInScope(scope, vector, limit),
      async compact() {
        // Deleted rows (and their tsvector) are reclaimed by autovacuum; nothing to merge here.
      },
    };
  }
}
