import type { BudgetTables } from './migrations.js';
import type { PeriodKind } from './periods.js';

/** Whom a limit applies to. */
export type BudgetScope =
  | { readonly kind: 'person'; readonly userId: string; readonly familiarId?: string | undefined }
  | { readonly kind: 'familiar'; readonly familiarId: string }
  | { readonly kind: 'role'; readonly role: 'admin' | 'member' };

/** Limits per day and per month; null or absent: no limit. Cost is in micro-units (1 USD = 1,000,000). */
export interface BudgetLimits {
  readonly tokensPerDay?: number | null;
  readonly tokensPerMonth?: number | null;
  readonly costPerDay?: number | null;
  readonly costPerMonth?: number | null;
  readonly toolCallsPerDay?: number | null;
  readonly toolCallsPerMonth?: number | null;
}

const LIMIT_FIELDS = ['tokensPerDay', 'tokensPerMonth', 'costPerDay', 'costPerMonth', 'toolCallsPerDay', 'toolCallsPerMonth'] as const;

type LimitRow = BudgetTables['budget_limits'];

export function scopeKey(scope: BudgetScope): string {
  if (scope.kind === 'person') return scope.familiarId ? `person:${scope.userId}:${scope.familiarId}` : `person:${scope.userId}`;
  if (scope.kind === 'familiar') return `familiar:${scope.familiarId}`;
  return `role:${scope.role}`;
}

export function scopeOf(key: string): BudgetScope | undefined {
  const [kind, a, b] = key.split(':');
  if (kind === 'person' && a) return { kind, userId: a, ...(b ? { familiarId: b } : {}) };
  if (kind === 'familiar' && a) return { kind, familiarId: a };
  if (kind === 'role' && (a === 'admin' || a === 'member')) return { kind, role: a };
  return undefined;
}

const num = (v: number | string | null) => (v === null ? null : Number(v));

export function limitsOf(row: LimitRow): Required<BudgetLimits> {
  return {
    tokensPerDay: num(row.tokens_per_day),
    tokensPerMonth: num(row.tokens_per_month),
    costPerDay: num(row.cost_per_day),
    costPerMonth: num(row.cost_per_month),
    toolCallsPerDay: num(row.tool_calls_per_day),
    toolCallsPerMonth: num(row.tool_calls_per_month),
  };
}

export function rowOf(scope: string, limits: BudgetLimits, at: number): LimitRow {
  return {
    scope,
    tokens_per_day: limits.tokensPerDay ?? null,
    tokens_per_month: limits.tokensPerMonth ?? null,
    cost_per_day: limits.costPerDay ?? null,
    cost_per_month: limits.costPerMonth ?? null,
    tool_calls_per_day: limits.toolCallsPerDay ?? null,
    tool_calls_per_month: limits.toolCallsPerMonth ?? null,
    updated_at: at,
  };
}

/** The limits of one period, as the ledger checks them. */
export function forPeriod(limits: BudgetLimits | undefined, kind: PeriodKind) {
  const pick = (v: number | null | undefined) => (v === null || v === undefined ? undefined : v);
  if (!limits) return {};
  return kind === 'day'
    ? { tokens: pick(limits.tokensPerDay), cost: pick(limits.costPerDay), toolCalls: pick(limits.toolCallsPerDay) }
    : { tokens: pick(limits.tokensPerMonth), cost: pick(limits.costPerMonth), toolCalls: pick(limits.toolCallsPerMonth) };
}

export const isEmpty = (limits: BudgetLimits) => LIMIT_FIELDS.every((f) => limits[f] === null || limits[f] === undefined);
