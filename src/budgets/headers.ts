import type { Amount } from './ledger.js';
import type { BudgetStatus } from './service.js';

const NAMES: Record<keyof Amount, string> = { tokens: 'Tokens', cost: 'Cost', toolCalls: 'Tool-Calls' };

/**
 * `X-Hearth-Budget-{Tokens,Cost,Tool-Calls}-{Limit,Remaining,Reset}` for the tightest limit of each
 * kind (the one with least left). Cost is in micro-units. Nothing when no limit applies (the owner).
 */
export function budgetHeaders(status: BudgetStatus): Record<string, string> {
  const out: Record<string, string> = {};
  for (const d of ['tokens', 'cost', 'toolCalls'] as const) {
    let tightest: BudgetStatus['lines'][number] | undefined;
    for (const line of status.lines)
      if (line.remaining[d] !== undefined && (tightest === undefined || line.remaining[d] < tightest.remaining[d]!)) tightest = line;
    if (!tightest) continue;
    const name = `x-hearth-budget-${NAMES[d].toLowerCase()}`;
    out[`${name}-limit`] = String(tightest.limit[d]);
    out[`${name}-remaining`] = String(tightest.remaining[d]);
    out[`${name}-reset`] = new Date(tightest.resetsAt).toISOString();
  }
  return out;
}
