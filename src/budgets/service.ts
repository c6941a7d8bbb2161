import type { Kysely } from 'kysely';
import type { AppError } from '../core/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditActor, AuditLog } from '../security/audit/index.js';
import { createQueryCache, type Storage } from '../storage/index.js';
import { budgetExceeded, type CounterScope } from './errors.js';
import { describeBudget } from './describe.js';
import { budgetHeaders } from './headers.js';
import { createLedger, type Amount, type Charge, type CounterLimit, type Refusal } from './ledger.js';
import { forPeriod, isEmpty, limitsOf, rowOf, scopeKey, scopeOf, type BudgetLimits, type BudgetScope } from './limits.js';
import type { BudgetTables } from './migrations.js';
import { PERIOD_KINDS, periodOf, type PeriodKind } from './periods.js';

type Role = 'owner' | 'admin' | 'member';

export interface BudgetOptions {
  readonly storage: Storage;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly now: () => number;
  /** The person's role as stored (never as a channel claims it): the owner is exempt from defaults. */
  readonly roleOf: (userId: string) => Promise<Role | undefined>;
  /** Environment defaults for every person but the owner, when no role row is set. */
  readonly defaults?: BudgetLimits;
}

/** One counter the person's turns with this familiar are charged to, in one period. */
export interface BudgetLine {
  readonly scope: CounterScope;
  readonly period: PeriodKind;
  readonly resetsAt: number;
  readonly used: Amount;
  readonly limit: CounterLimit;
  /** What is left in each limited dimension (never below 0). */
  readonly remaining: Partial<Amount>;
}

export interface BudgetStatus {
  /** True for the owner without a limit of their own. */
  readonly exempt: boolean;
  /** Only counters with at least one limit. */
  readonly lines: readonly BudgetLine[];
}

/** A charge with what the person is told when it refuses. */
export interface ScopedCharge extends Charge {
  readonly scope: CounterScope;
  readonly periodKind: PeriodKind;
  readonly resetsAt: number;
}

export interface BudgetLimitView {
  readonly scope: BudgetScope;
  readonly limits: Required<BudgetLimits>;
  readonly updatedAt: number;
}

export interface ModelPrice {
  /** Micro-units per million prompt tokens (1 USD per Mtok = 1,000,000). */
  readonly inputPerMTok: number;
  readonly outputPerMTok: number;
}

/** Who pays for one model or tool call, for the guard. */
export interface CallScope {
  readonly userId: string;
  readonly familiarId: string;
  readonly channel: string;
  readonly requestId?: string | undefined;
}

/**
 * Budgets (issue #22): limits per person, per person and familiar, per familiar and per role, on
 * tokens, money and tool calls per UTC day and month; reservations and settlements go through the
 * ledger's conditional updates, so concurrent turns cannot overspend.
 */
export function createBudgets(options: BudgetOptions) {
  const { audit, now } = options;
  const db = options.storage.db.withTables<BudgetTables>() as unknown as Kysely<BudgetTables>;
  const ledger = createLedger(db, now);

  // Read on every model and tool call: built and compiled once per shape (storage/precompiled.ts).
  const queries = createQueryCache();

  async function limitRows(keys: string[]): Promise<Map<string, Required<BudgetLimits>>> {
    const { rows } = await queries.run(
      db,
      `limits:${keys.length}`,
      (q, slot) =>
        q
          .selectFrom('budget_limits')
          .selectAll()
          .where(
            'scope',
            'in',
            keys.map((_, i) => slot(i) as string),
          ),
      keys,
    );
    return new Map(rows.map((r) => [r.scope, limitsOf(r)]));
  }

  /**
   * The counters a call by this person with this familiar is charged to, each with the limit that
   * applies to them: the person's own row, else (not for the owner) their role's, else the
   * environment default; their row with this familiar; the familiar's total (not for the owner).
   * Every call counts on all of them, limited or not, so figures exist before a limit is set.
   */
  async function chargesFor(userId: string, familiarId: string, at = now()): Promise<{ charges: ScopedCharge[]; exempt: boolean }> {
    const role = (await options.roleOf(userId)) ?? 'member';
    const owner = role === 'owner';
    const own = scopeKey({ kind: 'person', userId });
    const withFamiliar = scopeKey({ kind: 'person', userId, familiarId });
    const familiarKey = scopeKey({ kind: 'familiar', familiarId });
    const roleKey = role === 'owner' ? undefined : scopeKey({ kind: 'role', role });
    const rows = await limitRows([own, withFamiliar, familiarKey, ...(roleKey ? [roleKey] : [])]);
    const envDefault = options.defaults && !isEmpty(options.defaults) ? options.defaults : undefined;
    const personLimits = rows.get(own) ?? (owner ? undefined : ((roleKey ? rows.get(roleKey) : undefined) ?? envDefault));
    const counters: [CounterScope, string, BudgetLimits | undefined][] = [
      ['person', `u:${userId}`, personLimits],
      ['person_familiar', `uf:${userId}:${familiarId}`, rows.get(withFamiliar)],
      ['familiar', `f:${familiarId}`, owner ? undefined : rows.get(familiarKey)],
    ];
    const charges: ScopedCharge[] = [];
    for (const kind of PERIOD_KINDS) {
      const period = periodOf(kind, at);
      for (const [scope, counter, limits] of counters)
        charges.push({ scope, counter, period: period.key, periodKind: kind, resetsAt: period.resetsAt, limit: forPeriod(limits, kind) });
    }
    const limited = charges.some((c) => Object.values(c.limit).some((v) => v !== undefined));
    return { charges, exempt: owner && !limited };
  }

  const actorOf = (scope: CallScope): AuditActor => ({ type: 'user', id: scope.userId });

  /** Audits a refusal and answers the error the person sees (LOG-3: every refusal is recorded). */
  async function refused(scope: CallScope, charges: readonly ScopedCharge[], refusal: Refusal, what: 'model' | 'tool'): Promise<AppError> {
    const charge = charges.find((c) => c.counter === refusal.charge.counter && c.period === refusal.charge.period)!;
    await audit.record({
      actor: actorOf(scope),
      action: 'budget.refused',
      target: scope.familiarId,
      outcome: 'denied',
      ...(scope.requestId ? { requestId: scope.requestId } : {}),
      details: { scope: charge.scope, period: charge.periodKind, dimension: refusal.dimension, call: what, channel: scope.channel },
    });
    return budgetExceeded({ refusal, scope: charge.scope, period: charge.periodKind, resetsAt: charge.resetsAt, now: now() });
  }

  async function refusedUnpriced(scope: CallScope, model: string): Promise<void> {
    await audit.record({
      actor: actorOf(scope),
      action: 'budget.refused',
      target: scope.familiarId,
      outcome: 'denied',
      ...(scope.requestId ? { requestId: scope.requestId } : {}),
      details: { reason: 'unpriced', model, call: 'model', channel: scope.channel },
    });
  }

  /** What is left; without a familiar, only the person's own counters. */
  async function status(userId: string, familiarId?: string): Promise<BudgetStatus> {
    const { charges, exempt } = await chargesFor(userId, familiarId ?? '');
    const limited = charges.filter(
      (c) => (familiarId !== undefined || c.scope === 'person') && Object.values(c.limit).some((v) => v !== undefined),
    );
    const used = await ledger.read(limited);
    const lines = limited.map((c): BudgetLine => {
      const u = used.get(`${c.counter}|${c.period}`) ?? { tokens: 0, cost: 0, toolCalls: 0 };
      const remaining: { -readonly [K in keyof Amount]?: number } = {};
      for (const d of ['tokens', 'cost', 'toolCalls'] as const) if (c.limit[d] !== undefined) remaining[d] = Math.max(0, c.limit[d] - u[d]);
      return { scope: c.scope, period: c.periodKind, resetsAt: c.resetsAt, used: u, limit: c.limit, remaining };
    });
    return { exempt, lines };
  }

  /** What is left, as the `X-Hearth-Budget-*` headers chat answers carry. */
  const headersFor = async (userId: string, familiarId: string) => budgetHeaders(await status(userId, familiarId));

  /** What is left, as `/usage` on the chat channels says it. */
  const describe = async (userId: string, familiarId?: string) => describeBudget(await status(userId, familiarId));

  async function setLimits(scope: BudgetScope, limits: BudgetLimits, actor: AuditActor): Promise<BudgetLimitView | undefined> {
    const key = scopeKey(scope);
    const at = now();
    if (isEmpty(limits)) await db.deleteFrom('budget_limits').where('scope', '=', key).execute();
    else {
      const row = rowOf(key, limits, at);
      const { scope: _key, ...rest } = row;
      await db
        .insertInto('budget_limits')
        .values(row)
        .onConflict((oc) => oc.column('scope').doUpdateSet(rest))
        .execute();
    }
    // A person's scope names them: sealed for them, so their erasure shreds it (#15, DATA-5).
    const subjects = scope.kind === 'person' ? { subjects: [scope.userId] } : {};
    await audit.record({ actor, action: 'budget.set', target: key, outcome: 'success', details: { ...limits }, ...subjects });
    return isEmpty(limits) ? undefined : { scope, limits: limitsOf(rowOf(key, limits, at)), updatedAt: at };
  }

  async function listLimits(): Promise<BudgetLimitView[]> {
    const rows = await db.selectFrom('budget_limits').selectAll().orderBy('scope').execute();
    return rows.flatMap((r) => {
      const scope = scopeOf(r.scope);
      return scope ? [{ scope, limits: limitsOf(r), updatedAt: Number(r.updated_at) }] : [];
    });
  }

  async function priceOf(model: string): Promise<ModelPrice | undefined> {
    const { rows } = await queries.run(
      db,
      'price',
      (q, slot) =>
        q
          .selectFrom('budget_prices')
          .selectAll()
          .where('model', '=', slot(0) as string),
      [model],
    );
    const row = rows[0];
    return row ? { inputPerMTok: Number(row.input_per_mtok), outputPerMTok: Number(row.output_per_mtok) } : undefined;
  }

  async function setPrice(model: string, price: ModelPrice | null, actor: AuditActor): Promise<void> {
    if (price === null) await db.deleteFrom('budget_prices').where('model', '=', model).execute();
    else {
      const values = { input_per_mtok: price.inputPerMTok, output_per_mtok: price.outputPerMTok, updated_at: now() };
      await db
        .insertInto('budget_prices')
        .values({ model, ...values })
        .onConflict((oc) => oc.column('model').doUpdateSet(values))
        .execute();
    }
    await audit.record({
      actor,
      action: 'budget.price',
      target: model,
      outcome: 'success',
      details: price ? { ...price } : { removed: true },
    });
  }

  async function listPrices(): Promise<Array<{ model: string } & ModelPrice>> {
    const rows = await db.selectFrom('budget_prices').selectAll().orderBy('model').execute();
    return rows.map((r) => ({ model: r.model, inputPerMTok: Number(r.input_per_mtok), outputPerMTok: Number(r.output_per_mtok) }));
  }

  /** Daily figures per person and familiar since `sinceDay` (YYYY-MM-DD), for the dashboard's chart. */
  async function daily(sinceDay: string): Promise<Array<{ userId: string; familiarId: string; day: string } & Amount>> {
    const rows = await db
      .selectFrom('budget_counters')
      .selectAll()
      .where('counter', 'like', 'uf:%')
      .where('period', '>=', `d:${sinceDay}`)
      .where('period', 'like', 'd:%')
      .orderBy('period')
      .execute();
    return rows.map((r) => {
      const [, userId = '', familiarId = ''] = r.counter.split(':');
      return {
        userId,
        familiarId,
        day: r.period.slice(2),
        tokens: Number(r.tokens),
        cost: Number(r.cost),
        toolCalls: Number(r.tool_calls),
      };
    });
  }

  return {
    chargesFor,
    refused,
    refusedUnpriced,
    status,
    headersFor,
    describe,
    setLimits,
    listLimits,
    priceOf,
    setPrice,
    listPrices,
    daily,
    ledger,
    logger: options.logger,
  };
}

export type BudgetService = ReturnType<typeof createBudgets>;
