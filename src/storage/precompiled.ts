import type { CompiledQuery, Compilable, Kysely, QueryResult } from 'kysely';

/** Stands for a parameter of a precompiled query; the compiled statement binds it like any value. */
class Slot {
  constructor(readonly index: number) {}
}

interface Shape {
  readonly query: CompiledQuery;
  /** Per bound parameter: the call's argument it takes (a slot's index), or the constant it always is. */
  readonly bind: ReadonlyArray<{ readonly arg: number } | { readonly value: unknown }>;
}

/** Builds one query shape on `db`; `slot(i)` stands for the call's i-th argument (typed as whatever it replaces). */
export type QueryShape<DB, C extends Compilable<unknown> = Compilable<unknown>> = (db: Kysely<DB>, slot: (index: number) => never) => C;

/** The row type of a query a shape builds. */
type Output<C> = C extends Compilable<infer O> ? O : never;

/**
 * Hot queries built and compiled once per shape instead of on every call: kysely rebuilds a query's
 * immutable tree and compiles it anew each time (about 4 µs for a select by key, 20 µs for the
 * budgets' multi-row upsert, and the garbage of every node), for SQL that only differs in its bound
 * values. A shape is built with slots standing for the arguments; each call binds its own values
 * and runs the compiled statement on the handle it is given (the root or a transaction), so
 * transactions, the connection lock and results are kysely's own. Slots must only stand where
 * kysely binds a value (comparisons, inserted and updated values, `in` lists of a fixed length):
 * the key names everything else that changes the SQL (row counts, optional clauses).
 * One cache per database (a dialect's SQL differs).
 */
export function createQueryCache(maxShapes = 256) {
  const shapes = new Map<string, Shape>();

  function compile<DB>(db: Kysely<DB>, build: QueryShape<DB>): Shape {
    const query = build(db, (index) => new Slot(index) as never).compile();
    return {
      query,
      bind: query.parameters.map((p) => (p instanceof Slot ? { arg: p.index } : { value: p })),
    };
  }

  return {
    /** Runs the shape named `key` (built by `build` the first time) with `args` bound. */
    run<DB, C extends Compilable<unknown>>(
      db: Kysely<DB>,
      key: string,
      build: QueryShape<NoInfer<DB>, C>,
      args: readonly unknown[],
    ): Promise<QueryResult<Output<C>>> {
      let shape = shapes.get(key);
      if (!shape) {
        shape = compile(db, build as QueryShape<DB>);
        // A key per row count or clause set: bounded, but never let a caller's input grow it without end.
        if (shapes.size >= maxShapes) shapes.clear();
        shapes.set(key, shape);
      }
      const parameters = shape.bind.map((b) => ('arg' in b ? args[b.arg] : b.value));
      return db.executeQuery({ ...shape.query, parameters } as CompiledQuery<Output<C>>);
    },
  };
}
