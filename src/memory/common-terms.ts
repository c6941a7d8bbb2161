import type BetterSqlite3 from 'better-sqlite3';

/** How the lexical query runs: which scoped terms are OR-ed, and whether only recent matches are ranked. */
export interface TermPlan {
  readonly match: string;
  /** Every term is common for this person: rank only their `recentMatches` newest matches. */
  readonly recentOnly: boolean;
}

export interface TermPlannerOptions {
  /** Matches BM25 may score for one query (postings, summed over the kept terms). */
  readonly budget?: number;
  /** A term in at least this many of the person's entries is common. */
  readonly common?: number;
}

const quote = (term: string) => `"${term}"`;

/**
 * A high-frequency term cutoff (the idea of Lucene's common-terms query), so BM25 never scores tens
 * of thousands of rows for one person. A query whose terms match at most `budget` entries runs as
 * it is. Otherwise the common terms are dropped (their IDF adds little to the ranking), keeping the
 * rarer ones up to `budget` matches; when every term is common, only the newest matches are ranked.
 * Terms are scoped to one person (tokens.ts), so every count below is that person's. All counts
 * stop early (LIMIT in a subquery), so planning itself never walks a long posting list.
 */
export function createTermPlanner(sqlite: BetterSqlite3.Database, options: TermPlannerOptions = {}) {
  const budget = options.budget ?? 4000;
  const common = options.common ?? 2000;
  const count = sqlite.prepare<[string, number], { n: number }>(
    'select count(*) as n from (select rowid from memory_fts where memory_fts match ? limit ?)',
  );
  const matches = (match: string, cap: number) => count.get(match, cap)!.n;
  const matchAny = (terms: readonly string[]) => terms.map(quote).join(' OR ');
  return {
    /** Matches a query may score as it is. */
    budget,
    recentMatches: budget,
    matchAny,
    /** `overBudget`: the caller already knows that the query as it is matches more than `budget`. */
    plan(terms: readonly string[], options: { overBudget?: boolean } = {}): TermPlan {
      const all = matchAny(terms);
      if (terms.length === 1 || (!options.overBudget && matches(all, budget + 1) <= budget)) return { match: all, recentOnly: false };
      const counted = terms.map((term) => ({ term, n: matches(quote(term), common) })).filter((t) => t.n > 0);
      const rare = counted.filter((t) => t.n < common).sort((a, b) => a.n - b.n);
      const kept: string[] = [];
      let postings = 0;
      for (const t of rare) {
        if (kept.length > 0 && postings + t.n > budget) break;
        kept.push(t.term);
        postings += t.n;
      }
      if (kept.length > 0) return { match: kept.map(quote).join(' OR '), recentOnly: false };
      return { match: all, recentOnly: true };
    },
  };
}
