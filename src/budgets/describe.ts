import type { BudgetLine, BudgetStatus } from './service.js';

const SCOPE = { person: 'Yours', person_familiar: 'Yours with this familiar', familiar: 'This familiar’s' } as const;
const fmt = (n: number) => n.toLocaleString('en-US');
const money = (micro: number) => (micro / 1_000_000).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 4 });
const reset = (at: number) => `${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

function lineText(line: BudgetLine): string {
  const parts: string[] = [];
  if (line.remaining.tokens !== undefined) parts.push(`${fmt(line.remaining.tokens)} of ${fmt(line.limit.tokens!)} tokens`);
  if (line.remaining.cost !== undefined) parts.push(`${money(line.remaining.cost)} of ${money(line.limit.cost!)} to spend`);
  if (line.remaining.toolCalls !== undefined) parts.push(`${fmt(line.remaining.toolCalls)} of ${fmt(line.limit.toolCalls!)} tool calls`);
  return `${SCOPE[line.scope]} ${line.period === 'day' ? 'today' : 'this month'}: ${parts.join(', ')} left (resets ${reset(line.resetsAt)})`;
}

/** `/usage` on the chat channels: what is left, one line per limited budget; no one else's figures. */
export function describeBudget(status: BudgetStatus): string {
  if (status.lines.length === 0)
    return status.exempt ? 'No budget limits apply to you (you own this Hearth).' : 'No budget limits apply to you.';
  return status.lines.map(lineText).join('\n');
}
