import { definePlugin, type PersonData, type FamiliarData } from '../core/index.js';
import type { Kysely } from 'kysely';
import { budgetMigrations, type BudgetTables } from './migrations.js';
import { budgetRoutes } from './routes.js';
import { createBudgets, type BudgetService } from './service.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Token, money and tool-call budgets per person, familiar and role (issue #22). */
    budgets: BudgetService;
  }
}

type Db = Kysely<BudgetTables>;

/** A person's own rows: `person:<id>` and `person:<id>:<familiar>`; `u:<id>` and `uf:<id>:<familiar>`. */
const personLimits = (db: Db, userId: string) =>
  db.selectFrom('budget_limits').where((eb) => eb.or([eb('scope', '=', `person:${userId}`), eb('scope', 'like', `person:${userId}:%`)]));
const personCounters = (db: Db, userId: string) =>
  db.selectFrom('budget_counters').where((eb) => eb.or([eb('counter', '=', `u:${userId}`), eb('counter', 'like', `uf:${userId}:%`)]));

/** What budgets keep of a person (their limits and counters), for export and erasure (DATA-5). */
function budgetPersonData(db: Db): PersonData {
  return {
    part: 'budgets',
    export: async (userId) => ({
      budgetLimits: await personLimits(db, userId).selectAll().execute(),
      budgetUsage: await personCounters(db, userId).selectAll().execute(),
    }),
    async erase(userId) {
      const l = await db
        .deleteFrom('budget_limits')
        .where((eb) => eb.or([eb('scope', '=', `person:${userId}`), eb('scope', 'like', `person:${userId}:%`)]))
        .executeTakeFirst();
      const c = await db
        .deleteFrom('budget_counters')
        .where((eb) => eb.or([eb('counter', '=', `u:${userId}`), eb('counter', 'like', `uf:${userId}:%`)]))
        .executeTakeFirst();
      return { budget_limits: Number(l.numDeletedRows), budget_counters: Number(c.numDeletedRows) };
    },
    // A merged person's spending counts on the account's counters (added, period by period); their
    // limits move where the account has none of its own for that scope (the account's own win).
    reassign: (from, to) =>
      db.transaction().execute(async (tx) => {
        const renamed = (key: string, prefix: string) => key.replace(`${prefix}${from}`, `${prefix}${to}`);
        const counters = await personCounters(tx, from).selectAll().execute();
        for (const c of counters) {
          const counter = renamed(c.counter, c.counter.startsWith('u:') ? 'u:' : 'uf:');
          await tx
            .insertInto('budget_counters')
            .values({ counter, period: c.period, tokens: 0, cost: 0, tool_calls: 0, updated_at: c.updated_at })
            .onConflict((oc) => oc.columns(['counter', 'period']).doNothing())
            .execute();
          await tx
            .updateTable('budget_counters')
            .set((eb) => ({
              tokens: eb('tokens', '+', Number(c.tokens)),
              cost: eb('cost', '+', Number(c.cost)),
              tool_calls: eb('tool_calls', '+', Number(c.tool_calls)),
            }))
            .where('counter', '=', counter)
            .where('period', '=', c.period)
            .execute();
          await tx.deleteFrom('budget_counters').where('counter', '=', c.counter).where('period', '=', c.period).execute();
        }
        let limits = 0;
        for (const l of await personLimits(tx, from).selectAll().execute()) {
          const scope = renamed(l.scope, 'person:');
          const own = await tx.selectFrom('budget_limits').select('scope').where('scope', '=', scope).executeTakeFirst();
          if (own) await tx.deleteFrom('budget_limits').where('scope', '=', l.scope).execute();
          else
            limits += Number(
              (await tx.updateTable('budget_limits').set({ scope }).where('scope', '=', l.scope).executeTakeFirst()).numUpdatedRows,
            );
        }
        return { budget_counters: counters.length, budget_limits: limits };
      }),
  };
}

/**
 * With `data=delete` a familiar's limits and counters go with it (a person's own total keeps what
 * they spent with it). They are bookkeeping, not what the familiar holds of anyone, so they are not
 * in the counts an admin confirms, and alone never make a familiar "hold data".
 */
function budgetFamiliarData(db: Db): FamiliarData {
  return {
    part: 'budgets',
    count: async () => ({}),
    async erase(id) {
      await db
        .deleteFrom('budget_limits')
        .where((eb) => eb.or([eb('scope', '=', `familiar:${id}`), eb('scope', 'like', `person:%:${id}`)]))
        .execute();
      await db
        .deleteFrom('budget_counters')
        .where((eb) => eb.or([eb('counter', '=', `f:${id}`), eb('counter', 'like', `uf:%:${id}`)]))
        .execute();
      return {};
    },
  };
}

/** Budgets: limits, prices, the ledger and the guard the turn wraps around its model and tools. */
export const budgetsPlugin = definePlugin({
  name: 'budgets',
  migrations: budgetMigrations,
  init(kernel) {
    const { storage, audit, logger, now, config } = kernel;
    const identity = kernel.service('identity');
    const familiars = kernel.service('familiars');
    const budgets = createBudgets({
      storage,
      audit,
      logger,
      now,
      roleOf: async (userId) => (await identity.findUserById(userId))?.role,
      defaults: {
        tokensPerDay: config.HEARTH_BUDGET_TOKENS_PER_DAY ?? null,
        tokensPerMonth: config.HEARTH_BUDGET_TOKENS_PER_MONTH ?? null,
        toolCallsPerDay: config.HEARTH_BUDGET_TOOL_CALLS_PER_DAY ?? null,
      },
    });
    const db = storage.db.withTables<BudgetTables>() as unknown as Kysely<BudgetTables>;
    return {
      services: { budgets },
      routes: [
        budgetRoutes({
          budgets,
          personExists: async (id) => (await identity.findUserById(id)) !== undefined,
          familiarExists: async (id) => (await familiars.get(id)) !== undefined,
        }),
      ],
      contributes: { personData: [budgetPersonData(db)], familiarData: [budgetFamiliarData(db)] },
    };
  },
});
