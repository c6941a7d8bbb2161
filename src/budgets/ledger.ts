import type { Kysely } from 'kysely';
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
 * The counters, changed only by conditional UPDATEs inside one transaction: a reservation adds the
 * expected maximum to every counter it touches only where the result stays within the limit, so
 * concurrent turns (other requests, other replicas) can never together pass a limit. On PostgreSQL
 * the UPDATE takes the row lock and re-checks its condition after a concurrent writer commits;
 * SQLite runs one writer at a time. Counters are locked in one sorted order, so two reservations
 * never wait on each other in a cycle.
 */
export function createLedger(db: Kysely<BudgetTables>, now: () => number) {
  const sorted = (charges: readonly Charge[]) =>
    [...charges].sort((a, b) => (a.counter === b.counter ? a.period.localeCompare(b.period) : a.counter.localeCompare(b.counter)));

  async function apply(charges: readonly Charge[], amount: Amount, checked: boolean): Promise<Refusal | undefined> {
    const at = now();
    try {
      await db.transaction().execute(async (tx) => {
        for (const charge of sorted(charges)) {
          await tx
            .insertInto('budget_counters')
            .values({ counter: charge.counter, period: charge.period, tokens: 0, cost: 0, tool_calls: 0, updated_at: at })
            .onConflict((oc) => oc.columns(['counter', 'period']).doNothing())
            .execute();
          let update = tx
            .updateTable('budget_counters')
            .set((eb) => ({
              tokens: eb('tokens', '+', amount.tokens),
              cost: eb('cost', '+', amount.cost),
              tool_calls: eb('tool_calls', '+', amount.toolCalls),
              updated_at: at,
            }))
            .where('counter', '=', charge.counter)
            .where('period', '=', charge.period);
          // Only what this call adds is held to its limit: a spent token budget does not block a tool call.
          const limited = checked ? DIMENSIONS.filter((d) => amount[d] > 0 && charge.limit[d] !== undefined) : [];
          for (const d of limited) update = update.where((eb) => eb(eb(COLUMN[d], '+', amount[d]), '<=', charge.limit[d]!));
          const result = await update.executeTakeFirst();
          if (Number(result.numUpdatedRows) !== 1) {
            const dimension = limited.length === 1 ? limited[0]! : await overDimension(tx, charge, amount, limited);
            throw new DoesNotFit({ charge, dimension });
          }
        }
      });
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
