/** Budget periods are UTC calendar days and months; a period's key names it in the counters table. */
export type PeriodKind = 'day' | 'month';

export interface Period {
  readonly kind: PeriodKind;
  /** `d:2026-12-01` or `m:2026-12`. */
  readonly key: string;
  /** When the next period starts (ms since epoch): the reset time shown and sent in Retry-After. */
  readonly resetsAt: number;
}

const pad = (n: number) => String(n).padStart(2, '0');

export function periodOf(kind: PeriodKind, at: number): Period {
  const d = new Date(at);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  if (kind === 'day') {
    return { kind, key: `d:${y}-${pad(m + 1)}-${pad(d.getUTCDate())}`, resetsAt: Date.UTC(y, m, d.getUTCDate() + 1) };
  }
  return { kind, key: `m:${y}-${pad(m + 1)}`, resetsAt: Date.UTC(y, m + 1, 1) };
}

export const PERIOD_KINDS: readonly PeriodKind[] = ['day', 'month'];
