import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { listOf } from '../api.js';
import { BudgetLimitsEditor } from '../components/budget-limits.js';
import { isAdmin, type Me } from '../session.js';
import { Notice, Page, useResource } from '../ui.js';
import './usage.css';

/** GET /api/budgets/me: one line per limited counter and period (money in currency units). */
interface Amount {
  tokens?: number;
  cost?: number;
  toolCalls?: number;
}
interface BudgetLine {
  scope: 'person' | 'person_familiar' | 'familiar';
  period: 'day' | 'month';
  resetsAt: string;
  used: Amount;
  limit: Amount;
  remaining: Amount;
}
interface VoiceLine {
  scope: BudgetLine['scope'];
  period: BudgetLine['period'];
  resetsAt: string;
  usedSeconds: number;
  limitSeconds: number;
  remainingSeconds: number;
}
/** GET /api/budgets/usage: tokens, cost and tool calls per person, familiar and UTC day. */
interface UsageDay {
  userId: string;
  familiarId: string;
  day: string;
  tokens: number;
  cost: number;
  toolCalls: number;
}
interface Named {
  id: string;
  name: string;
}

const SCOPE = { person: 'Yours', person_familiar: 'Yours with this familiar', familiar: 'This familiar’s (everyone together)' } as const;
const fmt = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 2 });
const resets = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const DIMENSIONS = [
  ['tokens', 'tokens', 'tokens'],
  ['cost', 'to spend', 'money'],
  ['toolCalls', 'tool calls', 'tool calls'],
] as const;
const when = (period: BudgetLine['period']) => (period === 'day' ? 'today' : 'this month');

/** One budget as a native <meter> (accessible, no inline style) with its figures in words. */
function Left(props: { label: string; left: number; limit: number; unit: string }): JSX.Element {
  const id = `m-${props.label.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div class="usage-left">
      <label for={id}>{props.label}</label>
      <meter id={id} min={0} max={Math.max(1, props.limit)} value={props.left} low={props.limit * 0.2} optimum={props.limit}>
        {fmt(props.left)} of {fmt(props.limit)}
      </meter>
      <span>
        {fmt(props.left)} of {fmt(props.limit)} {props.unit} left
      </span>
    </div>
  );
}

/** What is left of the signed-in person's budgets, optionally with one familiar. */
function WhatIsLeft(): JSX.Element {
  const familiars = useResource<unknown>('/api/familiars');
  const [familiarId, setFamiliarId] = useState('');
  const q = familiarId ? `?familiarId=${encodeURIComponent(familiarId)}` : '';
  const status = useResource<{ exempt: boolean; lines: BudgetLine[] }>(`/api/budgets/me${q}`);
  const voice = useResource<{ lines: VoiceLine[] }>(`/api/budgets/voice/me${q}`);
  const list = listOf<Named>(familiars.data);
  const lines = status.data?.lines ?? [];
  const voiceLines = voice.data?.lines ?? [];
  return (
    <section aria-labelledby="left-title">
      <h2 id="left-title">What is left</h2>
      <Notice error={status.error} />
      <div class="field">
        <label for="usage-familiar">With familiar</label>
        <select id="usage-familiar" value={familiarId} onChange={(e) => setFamiliarId((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">All familiars (your own budget)</option>
          {list.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
      </div>
      {status.data && lines.length === 0 && voiceLines.length === 0 && (
        <p>{status.data.exempt ? 'No budget limits apply to you (you own this Hearth).' : 'No budget limits apply to you.'}</p>
      )}
      <ul class="usage-lines">
        {lines.map((l) => (
          <li key={`${l.scope}-${l.period}`}>
            <h3>
              {SCOPE[l.scope]} {l.period === 'day' ? 'today' : 'this month'} <small>(resets {resets(l.resetsAt)})</small>
            </h3>
            {DIMENSIONS.filter(([d]) => l.limit[d] !== undefined).map(([d, unit, what]) => (
              <Left
                key={d}
                label={`${SCOPE[l.scope]} ${when(l.period)}: ${what}`}
                left={l.remaining[d] ?? 0}
                limit={l.limit[d]!}
                unit={unit}
              />
            ))}
          </li>
        ))}
        {voiceLines.map((l) => (
          <li key={`voice-${l.scope}-${l.period}`}>
            <h3>
              {SCOPE[l.scope]} voice {l.period === 'day' ? 'today' : 'this month'} <small>(resets {resets(l.resetsAt)})</small>
            </h3>
            <Left
              label={`${SCOPE[l.scope]} ${when(l.period)}: voice minutes`}
              left={Math.floor(l.remainingSeconds / 6) / 10}
              limit={l.limitSeconds / 60}
              unit="voice minutes"
            />
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Horizontal bars in SVG (sizes are attributes, not styles), with the figures as text beside each. */
function Bars(props: { title: string; rows: Array<{ label: string; value: number }>; unit: string }): JSX.Element {
  const max = Math.max(1, ...props.rows.map((r) => r.value));
  const W = 400;
  const id = props.title.replace(/\W+/g, '-').toLowerCase();
  return (
    <figure class="usage-chart">
      <figcaption id={`${id}-cap`}>{props.title}</figcaption>
      {props.rows.length === 0 ? (
        <p>Nothing used yet.</p>
      ) : (
        <table aria-labelledby={`${id}-cap`}>
          <thead>
            <tr>
              <th scope="col">Who</th>
              <th scope="col">{props.unit}</th>
              <th scope="col">
                <span class="sr-only">Bar</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) => (
              <tr key={r.label}>
                <th scope="row">{r.label}</th>
                <td class="num">{fmt(r.value)}</td>
                <td class="bar-cell">
                  <svg viewBox={`0 0 ${W} 16`} aria-hidden="true" preserveAspectRatio="none" class="bar">
                    <rect class="bar-fill" x={0} y={2} height={12} width={Math.max(1, (r.value / max) * W)} />
                  </svg>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}

/** Admins: tokens (and cost, tool calls) per person and per familiar over the last 30 days, and per day. */
function UsageCharts(): JSX.Element {
  const usage = useResource<{ since: string; days: UsageDay[] }>('/api/budgets/usage');
  const users = useResource<unknown>('/api/users');
  const familiars = useResource<unknown>('/api/familiars');
  const [measure, setMeasure] = useState<'tokens' | 'cost' | 'toolCalls'>('tokens');
  const names = new Map([...listOf<Named>(users.data), ...listOf<Named>(familiars.data)].map((x) => [x.id, x.name]));
  const days = usage.data?.days ?? [];
  const sum = (key: (d: UsageDay) => string) => {
    const totals = new Map<string, number>();
    for (const d of days) totals.set(key(d), (totals.get(key(d)) ?? 0) + d[measure]);
    return [...totals]
      .map(([k, value]) => ({ label: names.get(k) ?? k, value }))
      .filter((r) => r.value > 0)
      .sort((a, b) => b.value - a.value);
  };
  const unit = measure === 'tokens' ? 'Tokens' : measure === 'cost' ? 'Cost' : 'Tool calls';
  const byDay = [...new Set(days.map((d) => d.day))].sort().map((day) => ({
    label: day,
    value: days.filter((d) => d.day === day).reduce((n, d) => n + d[measure], 0),
  }));
  return (
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">Usage since {usage.data?.since ?? '…'}</h2>
      <Notice error={usage.error} />
      <div class="field">
        <label for="usage-measure">Measure</label>
        <select
          id="usage-measure"
          value={measure}
          onChange={(e) => setMeasure((e.currentTarget as HTMLSelectElement).value as typeof measure)}
        >
          <option value="tokens">Tokens</option>
          <option value="cost">Cost (currency of the prices)</option>
          <option value="toolCalls">Tool calls</option>
        </select>
      </div>
      <div class="usage-charts">
        <Bars title={`${unit} per person`} rows={sum((d) => d.userId)} unit={unit} />
        <Bars title={`${unit} per familiar`} rows={sum((d) => d.familiarId)} unit={unit} />
        <Bars title={`${unit} per day (UTC)`} rows={byDay} unit={unit} />
      </div>
    </section>
  );
}

/** `/usage`: what is left for the person; for admins, usage per person and familiar (issue #22). */
export function UsagePage(props: { me: Me }): JSX.Element {
  return (
    <Page title="Usage">
      <WhatIsLeft />
      {isAdmin(props.me) && <UsageCharts />}
      {isAdmin(props.me) && <BudgetLimitsEditor />}
    </Page>
  );
}
