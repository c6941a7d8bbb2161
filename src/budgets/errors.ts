import { AppError } from '../core/index.js';
import type { Refusal } from './ledger.js';
import type { PeriodKind } from './periods.js';

/** Whose counter refused: the person's own, theirs with this familiar, or the familiar's total. */
export type CounterScope = 'person' | 'person_familiar' | 'familiar';

const WHAT = { tokens: 'token', cost: 'spending', toolCalls: 'tool-call' } as const;

const resetText = (at: number) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The one short message every channel shows for a spent budget (HTTP 429 BUDGET_EXCEEDED, the
 * period's reset in Retry-After). It names which budget and when it resets, never anyone's figures.
 */
export function budgetExceeded(input: {
  readonly refusal: Refusal;
  readonly scope: CounterScope;
  readonly period: PeriodKind;
  readonly resetsAt: number;
  readonly now: number;
}): AppError {
  const { refusal, scope, period, resetsAt } = input;
  const whose = scope === 'familiar' ? 'This familiar’s' : 'Your';
  const which = `${period === 'day' ? 'daily' : 'monthly'} ${WHAT[refusal.dimension]} budget${scope === 'person_familiar' ? ' with this familiar' : ''}`;
  const retryAfter = Math.max(1, Math.ceil((resetsAt - input.now) / 1000));
  return new AppError(
    'BUDGET_EXCEEDED',
    `${whose} ${which} is spent; it resets at ${resetText(resetsAt)}.`,
    { reason: 'BUDGET_EXCEEDED', scope, period, dimension: refusal.dimension, resetsAt: new Date(resetsAt).toISOString() },
    { headers: { 'retry-after': String(retryAfter), 'x-hearth-budget-reset': new Date(resetsAt).toISOString() } },
  );
}

/** A money limit applies and the model has no price: the call is refused rather than left uncounted. */
export function budgetUnpriced(model: string): AppError {
  return new AppError(
    'BUDGET_EXCEEDED',
    'A spending limit applies and this model has no price configured, so it cannot be used; ask the operator to set its price.',
    { reason: 'BUDGET_UNPRICED', model },
  );
}
