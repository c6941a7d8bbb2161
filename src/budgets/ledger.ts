import type { Kysely } from 'kysely';
import { createQueryCache, type QueryShape } from '../storage/index.js';
import type { BudgetTables } from './migrations.js';

/** The three things a budget counts. Cost is in micro-units of the prices' currency. */
export interface Amount {
  readonly tokens: number;
  readonly cost: number;
  readonly toolCalls: number;
}

/** Limits on one counter in one period; undefined: that dimension is only counted, never refused. */
export interface CounterLimit {
  readonly tokens?: number | undefined;
  readonly cost?: number | undefined;
  readonly toolCalls?: number | undefined;
}

/** One counter in one period, with the limit that applies to it (for the person making this call). */
export interface Charge {
  readonly counter: string;
  readonly period: string;
  readonly limit: CounterLimit;
}

/** The charge that did not fit, and in which dimension. */
export interface Refusal {
  readonly charge: Charge;
  readonly dimension: keyof Amount;
}

class DoesNotFit extends Error {
  constructor(readonly refusal: Refusal) {
    super('budget reservation does not fit');
  }
}

const COLUMN = { tokens: 'tokens', cost: 'cost', toolCalls: 'tool_calls' } as const;
const DIMENSIONS = ['tokens', 'cost', 'toolCalls'] as const;

/**
 * The counters, changed only by conditional upserts: a reservation adds the expected maximum to
 * every counter it touches only where the result stays within the limit, so concurrent turns
 * (other requests, other replicas) can never together pass a limit. On PostgreSQL the upsert takes
 * the row lock and re-checks its condition after a concurrent writer commits; SQLite runs one
 * writer at a time. Counters are locked in one sorted order, so two reservations never wait on
 * each other in a cycle. A counter held to no limit in this call is one row of a multi-row upsert
 * with its unlimited neighbours (the usual case, no limits at all: one statement per call); a
 * limited one is an upsert of its own, whose condition is the limit. More than one statement runs
 * in one transaction: all of them or none.
 */
export function createLedger(db: Kysely<BudgetTables>, now: () => number) {
  const sorted = (charges: readonly Charge[]) =>
    [...charges].sort((a, b) => (a.counter === b.counter ? a.period.localeCompare(b.period) : a.counter.localeCompare(b.counter)));

  // The upsert's SQL depends only on its row count and limited dimensions: built and compiled once per shape.
  const queries = createQueryCache();

  /** Adds `amount` to the counters (created at 0 when new), where `limited`'s sums stay within `limit`; answers how many changed. */
  async function upsert(
    q: Kysely<BudgetTables>,
    charges: readonly Charge[],
    amount: Amount,
    at: number,
    limited: readonly (keyof Amount)[] = [],
  ): Promise<number> {
    const limit = charges[0]!.limit;
    // Arguments: the amount, the time, each limited dimension's limit, then every counter's key.
    const args = [
      amount.tokens,
      amount.cost,
      amount.toolCalls,
      at,
      ...limited.map((d) => limit[d]!),
      ...charges.flatMap((c) => [c.counter, c.period]),
    ];
    const build: QueryShape<BudgetTables> = (db, slot) => {
      const added: Record<keyof Amount, unknown> = { tokens: slot(0), cost: slot(1), toolCalls: slot(2) };
      const updatedAt = slot(3);
      const first = 4 + limited.length;
      return db
        .insertInto('budget_counters')
        .values(
          charges.map((_, i) => ({
            counter: slot(first + 2 * i),
            period: slot(first + 2 * i + 1),
            tokens: added.tokens as number,
            cost: added.cost as number,
            tool_calls: added.toolCalls as number,
            updated_at: updatedAt,
          })),
        )
        .onConflict((oc) => {
          const update = oc.columns(['counter', 'period']).doUpdateSet((eb) => ({
            tokens: eb('budget_counters.tokens', '+', added.tokens as number),
            cost: eb('budget_counters.cost', '+', added.cost as number),
            tool_calls: eb('budget_counters.tool_calls', '+', added.toolCalls as number),
            updated_at: updatedAt,
          }));
          // Only what this call adds is held to its limit: a spent token budget does not block a tool call.
          return limited.length === 0
            ? update
            : update.where((eb) =>
                eb.and(limited.map((d, i) => eb(eb(`budget_counters.${COLUMN[d]}`, '+', added[d] as number), '<=', slot(4 + i) as number))),
              );
        });
    };
    const result = await queries.run(q, `upsert:${charges.length}:${limited.join(',')}`, build, args);
    return Number(result.numAffectedRows ?? 0);
  }

  async function apply(charges: readonly Charge[], amount: Amount, checked: boolean): Promise<Refusal | undefined> {
    const at = now();
    const limitedOf = (c: Charge) => (checked ? DIMENSIONS.filter((d) => amount[d] > 0 && c.limit[d] !== undefined) : []);
    // In lock order: runs of unlimited counters, one statement each; every limited counter alone.
    const steps: { charges: Charge[]; limited: (keyof Amount)[] }[] = [];
    for (const charge of sorted(charges)) {
      const limited = limitedOf(charge);
      const last = steps[steps.length - 1];
      if (limited.length === 0 && last && last.limited.length === 0) last.charges.push(charge);
      else steps.push({ charges: [charge], limited });
    }
    const run = async (q: Kysely<BudgetTables>) => {
      for (const step of steps) {
        const charge = step.charges[0]!;
        // A counter starts at 0, so an amount beyond the limit never fits (and a new row is not checked by the upsert).
        const beyond = step.limited.find((d) => amount[d] > charge.limit[d]!);
        if (beyond) throw new DoesNotFit({ charge, dimension: beyond });
        const changed = await upsert(q, step.charges, amount, at, step.limited);
        if (changed !== step.charges.length) {
          const dimension = step.limited.length === 1 ? step.limited[0]! : await overDimension(q, charge, amount, step.limited);
          throw new DoesNotFit({ charge, dimension });
        }
      }
    };
    try {
      if (steps.length === 0) return undefined;
      // One statement is atomic by itself; more go in one transaction.
      if (steps.length === 1) await run(db);
      else await db.transaction().execute(run);
    } catch (err) {
      if (err instanceof DoesNotFit) return err.refusal;
      throw err;
    }
    return undefined;
  }

  async function overDimension(tx: Kysely<BudgetTables>, charge: Charge, amount: Amount, limited: (keyof Amount)[]) {
    const row = await tx
      .selectFrom('budget_counters')
      .selectAll()
      .where('counter', '=', charge.counter)
      .where('period', '=', charge.period)
      .executeTakeFirst();
    const used = { tokens: Number(row?.tokens ?? 0), cost: Number(row?.cost ?? 0), toolCalls: Number(row?.tool_calls ?? 0) };
    return limited.find((d) => used[d] + amount[d] > charge.limit[d]!) ?? limited[0]!;
  }

  return {
    /** Adds `amount` to every counter if it fits all their limits, else to none; answers what did not fit. */
    reserve: (charges: readonly Charge[], amount: Amount) => apply(charges, amount, true),
    /** Adds a settlement (real usage minus what was reserved; may be negative) without a limit check: spent is spent. */
    async settle(charges: readonly Charge[], delta: Amount): Promise<void> {
      if (delta.tokens === 0 && delta.cost === 0 && delta.toolCalls === 0) return;
      await apply(charges, delta, false);
    },
    /** What the counters hold, by `counter|period`. */
    async read(keys: readonly { counter: string; period: string }[]): Promise<Map<string, Amount>> {
      const out = new Map<string, Amount>();
      if (keys.length === 0) return out;
      const rows = await db
        .selectFrom('budget_counters')
        .selectAll()
        .where(
          'counter',
          'in',
          keys.map((k) => k.counter),
        )
        .where(
          'period',
          'in',
          keys.map((k) => k.period),
        )
        .execute();
      for (const r of rows)
        out.set(`${r.counter}|${r.period}`, { tokens: Number(r.tokens), cost: Number(r.cost), toolCalls: Number(r.tool_calls) });
      return out;
    },
  };
}
