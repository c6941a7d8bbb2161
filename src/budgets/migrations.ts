import { columnTypes, type Migration } from '../storage/index.js';

export type BudgetTables = {
  /** One row per scope: a person (optionally with one familiar), a familiar's total, or a role's default. */
  budget_limits: {
    /** `person:<userId>`, `person:<userId>:<familiarId>`, `familiar:<familiarId>`, `role:<role>`. */
    scope: string;
    tokens_per_day: number | null;
    tokens_per_month: number | null;
    /** Money in micro-units of the prices' currency (1 USD = 1,000,000). */
    cost_per_day: number | null;
    cost_per_month: number | null;
    tool_calls_per_day: number | null;
    tool_calls_per_month: number | null;
    updated_at: number;
  };
  /** What a counter has spent (and holds reserved) in one period; reservations are settled to real usage. */
  budget_counters: {
    /** `u:<userId>`, `uf:<userId>:<familiarId>`, `f:<familiarId>`. */
    counter: string;
    /** `d:2026-12-01` or `m:2026-12` (UTC). */
    period: string;
    tokens: number;
    cost: number;
    tool_calls: number;
    updated_at: number;
  };
  /** A model's price, micro-units per million tokens; a money limit refuses a model without one. */
  budget_prices: {
    model: string;
    input_per_mtok: number;
    output_per_mtok: number;
    updated_at: number;
  };
};

export const budgetMigrations: Migration[] = [
  {
    name: '1100_budgets',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('budget_limits')
        .addColumn('scope', 'text', (c) => c.primaryKey())
        .addColumn('tokens_per_day', t.bigint)
        .addColumn('tokens_per_month', t.bigint)
        .addColumn('cost_per_day', t.bigint)
        .addColumn('cost_per_month', t.bigint)
        .addColumn('tool_calls_per_day', t.bigint)
        .addColumn('tool_calls_per_month', t.bigint)
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('budget_counters')
        .addColumn('counter', 'text', (c) => c.notNull())
        .addColumn('period', 'text', (c) => c.notNull())
        .addColumn('tokens', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('cost', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('tool_calls', t.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('budget_counters_pk', ['counter', 'period'])
        .execute();
      await db.schema
        .createTable('budget_prices')
        .addColumn('model', 'text', (c) => c.primaryKey())
        .addColumn('input_per_mtok', t.bigint, (c) => c.notNull())
        .addColumn('output_per_mtok', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('budget_prices').execute();
      await db.schema.dropTable('budget_counters').execute();
      await db.schema.dropTable('budget_limits').execute();
    },
  },
];
