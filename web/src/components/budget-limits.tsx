import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { Notice, useResource } from '../ui.js';
import './budget-limits.css';

/** A budget's scope as GET /api/budgets and /api/budgets/voice describe it (src/budgets/limits.ts). */
type Scope =
  | { kind: 'role'; role: 'admin' | 'member' }
  | { kind: 'person'; userId: string; familiarId?: string }
  | { kind: 'familiar'; familiarId: string };
/** The six counters of PUT /api/budgets (money in the prices' currency); null = no limit. */
const LIMITS = [
  ['tokensPerDay', 'Tokens per day', 'count'],
  ['tokensPerMonth', 'Tokens per month', 'count'],
  ['costPerDay', 'Cost per day', 'money'],
  ['costPerMonth', 'Cost per month', 'money'],
  ['toolCallsPerDay', 'Tool calls per day', 'count'],
  ['toolCallsPerMonth', 'Tool calls per month', 'count'],
] as const;
/** PUT /api/budgets/voice: whole minutes. */
const VOICE = [
  ['minutesPerDay', 'Voice minutes per day', 'minutes'],
  ['minutesPerMonth', 'Voice minutes per month', 'minutes'],
] as const;
const FIELDS = [...LIMITS, ...VOICE];
type FieldName = (typeof FIELDS)[number][0];
type Kind = (typeof FIELDS)[number][2];
type Values = Record<FieldName, string>;
type Figures = Partial<Record<FieldName, number | null>>;

interface LimitRow {
  scope: Scope;
  limits: Figures;
}
interface VoiceRow extends Figures {
  scope: Scope;
}
interface Named {
  id: string;
  name: string;
}

const EMPTY: Values = Object.fromEntries(FIELDS.map(([f]) => [f, ''])) as Values;
/** The same bounds the API checks (src/budgets/routes.ts), so most mistakes are caught before a request. */
const BOUNDS: Record<Kind, { max: number; integer: boolean; words: string }> = {
  count: { max: 1e12, integer: true, words: 'a whole number, 0 or more' },
  money: { max: 1e6, integer: false, words: 'an amount, 0 or more (e.g. 2.50)' },
  minutes: { max: 1_000_000, integer: true, words: 'whole minutes, 0 or more' },
};

/** The figure typed in a field: null when empty (no limit), else a number, or the reason it is not one. */
function parse(raw: string, kind: Kind): { value: number | null } | { problem: string } {
  const text = raw.trim().replace(/[\s,_]/g, '');
  if (text === '') return { value: null };
  const b = BOUNDS[kind];
  if (!(b.integer ? /^\d+$/ : /^\d+(\.\d{1,6})?$/).test(text)) return { problem: `Enter ${b.words}, or leave it empty for no limit.` };
  const n = Number(text);
  if (n > b.max) return { problem: `At most ${b.max.toLocaleString('en-US')}.` };
  return { value: n };
}

const keyOf = (s: Scope) =>
  s.kind === 'role' ? `role:${s.role}` : s.kind === 'familiar' ? `familiar:${s.familiarId}` : `person:${s.userId}:${s.familiarId ?? ''}`;
const fmt = (n: number | null | undefined) =>
  n === null || n === undefined ? '—' : n.toLocaleString('en-US', { maximumFractionDigits: 6 });

/**
 * The admins' limits editor on the Usage page (issue #22): every limit per role (the defaults),
 * person, person with one familiar, and familiar, with tokens, cost and tool calls per day and
 * month (GET/PUT /api/budgets) and voice minutes (GET/PUT /api/budgets/voice). A field left empty
 * has no limit; a scope with every field empty is removed.
 */
export function BudgetLimitsEditor(): JSX.Element {
  const limits = useResource<{ limits: LimitRow[] }>('/api/budgets');
  const voice = useResource<{ limits: VoiceRow[] }>('/api/budgets/voice');
  const users = useResource<unknown>('/api/users');
  const familiars = useResource<unknown>('/api/familiars');
  const people = listOf<Named>(users.data);
  const fams = listOf<Named>(familiars.data);
  const [kind, setKind] = useState<'role' | 'person' | 'person_familiar' | 'familiar'>('role');
  const [role, setRole] = useState<'member' | 'admin'>('member');
  const [userId, setUserId] = useState('');
  const [familiarId, setFamiliarId] = useState('');
  const [values, setValues] = useState<Values>(EMPTY);
  const [problems, setProblems] = useState<Partial<Record<FieldName, string>>>({});
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const personName = (id: string) => people.find((p) => p.id === id)?.name ?? id;
  const familiarName = (id: string) => fams.find((f) => f.id === id)?.name ?? id;
  const describe = (s: Scope) =>
    s.kind === 'role'
      ? `Every ${s.role} (default)`
      : s.kind === 'familiar'
        ? `${familiarName(s.familiarId)} (everyone together)`
        : s.familiarId
          ? `${personName(s.userId)} with ${familiarName(s.familiarId)}`
          : personName(s.userId);

  // one row per scope: the token/cost/tool-call limits and the voice minutes side by side
  const rows = new Map<string, { scope: Scope; figures: Figures }>();
  for (const r of limits.data?.limits ?? []) rows.set(keyOf(r.scope), { scope: r.scope, figures: { ...r.limits } });
  for (const v of voice.data?.limits ?? []) {
    const row = rows.get(keyOf(v.scope)) ?? { scope: v.scope, figures: {} };
    row.figures = { ...row.figures, minutesPerDay: v.minutesPerDay ?? null, minutesPerMonth: v.minutesPerMonth ?? null };
    rows.set(keyOf(v.scope), row);
  }
  const list = [...rows.values()].filter((r) => FIELDS.some(([f]) => r.figures[f] !== null && r.figures[f] !== undefined));

  const scopeNow = (): Scope | string => {
    if (kind === 'role') return { kind: 'role', role };
    if ((kind === 'person' || kind === 'person_familiar') && !userId) return 'Choose a person.';
    if ((kind === 'familiar' || kind === 'person_familiar') && !familiarId) return 'Choose a familiar.';
    if (kind === 'familiar') return { kind: 'familiar', familiarId };
    return kind === 'person' ? { kind: 'person', userId } : { kind: 'person', userId, familiarId };
  };
  const bodyOf = (s: Scope) =>
    s.kind === 'role'
      ? { role: s.role }
      : s.kind === 'familiar'
        ? { familiarId: s.familiarId }
        : { userId: s.userId, ...(s.familiarId ? { familiarId: s.familiarId } : {}) };

  const put = async (scope: Scope, figures: Record<FieldName, number | null>) => {
    const body = bodyOf(scope);
    await api('PUT', '/api/budgets', { ...body, ...Object.fromEntries(LIMITS.map(([f]) => [f, figures[f]])) });
    // voice minutes only when there are any, or were: an untouched voice budget is not rewritten (nor audited)
    const had = rows.get(keyOf(scope))?.figures;
    if (VOICE.some(([f]) => figures[f] !== null || (had?.[f] !== null && had?.[f] !== undefined)))
      await api('PUT', '/api/budgets/voice', { ...body, ...Object.fromEntries(VOICE.map(([f]) => [f, figures[f]])) });
    limits.reload();
    voice.reload();
  };

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setInfo(null);
    const scope = scopeNow();
    const found: Partial<Record<FieldName, string>> = {};
    const figures = {} as Record<FieldName, number | null>;
    for (const [f, , k] of FIELDS) {
      const parsed = parse(values[f], k);
      if ('problem' in parsed) found[f] = parsed.problem;
      else figures[f] = parsed.value;
    }
    setProblems(found);
    if (typeof scope === 'string') return setError(scope);
    if (Object.keys(found).length > 0) return setError('Some limits are not valid; see the marked fields.');
    setBusy(true);
    try {
      await put(scope, figures);
      const none = FIELDS.every(([f]) => figures[f] === null);
      setInfo(none ? `Removed the limits of ${describe(scope)}.` : `Saved the limits of ${describe(scope)}.`);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };

  const edit = (s: Scope, figures: Figures) => {
    setKind(s.kind === 'person' ? (s.familiarId ? 'person_familiar' : 'person') : s.kind);
    if (s.kind === 'role') setRole(s.role);
    if (s.kind === 'person') setUserId(s.userId);
    if (s.kind !== 'role' && s.familiarId) setFamiliarId(s.familiarId);
    setValues(
      Object.fromEntries(FIELDS.map(([f]) => [f, figures[f] === null || figures[f] === undefined ? '' : String(figures[f])])) as Values,
    );
    setProblems({});
    setInfo(`Editing the limits of ${describe(s)}.`);
  };
  const remove = async (s: Scope) => {
    setError(null);
    setInfo(null);
    try {
      await put(s, Object.fromEntries(FIELDS.map(([f]) => [f, null])) as Record<FieldName, null>);
      setInfo(`Removed the limits of ${describe(s)}.`);
    } catch (err) {
      setError(messageOf(err));
    }
  };

  return (
    <section aria-labelledby="limits-title" class="budget-limits">
      <h2 id="limits-title">Limits</h2>
      <p>
        Limits per role apply to everyone of that role who has none of their own; a person’s own, a person’s with one familiar and a
        familiar’s (everyone together) apply on top. Days and months are UTC. The owner is exempt unless a limit is set for them. Empty
        means no limit; cost is in the currency of the model prices.
      </p>
      <Notice error={error ?? limits.error} info={info} />
      {list.length === 0 ? (
        <p>No limits are set: nobody is limited.</p>
      ) : (
        <table tabIndex={0} aria-label="Budget limits">
          <thead>
            <tr>
              <th scope="col">Applies to</th>
              {FIELDS.map(([f, label]) => (
                <th scope="col" key={f}>
                  {label}
                </th>
              ))}
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((r) => (
              <tr key={keyOf(r.scope)}>
                <th scope="row">{describe(r.scope)}</th>
                {FIELDS.map(([f]) => (
                  <td key={f} class="num">
                    {fmt(r.figures[f])}
                  </td>
                ))}
                <td class="actions">
                  <button type="button" class="small" onClick={() => edit(r.scope, r.figures)}>
                    Edit <span class="sr-only">{describe(r.scope)}</span>
                  </button>{' '}
                  <button type="button" class="danger small" onClick={() => void remove(r.scope)}>
                    Remove <span class="sr-only">{describe(r.scope)}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Set limits</h3>
      <form class="limits-form" onSubmit={(e) => void onSubmit(e)} noValidate>
        <div class="limits-scope">
          <div class="field">
            <label for="limit-kind">Applies to</label>
            <select id="limit-kind" value={kind} onChange={(e) => setKind((e.currentTarget as HTMLSelectElement).value as typeof kind)}>
              <option value="role">A role (the default)</option>
              <option value="person">A person</option>
              <option value="person_familiar">A person with one familiar</option>
              <option value="familiar">A familiar (everyone together)</option>
            </select>
          </div>
          {kind === 'role' && (
            <div class="field">
              <label for="limit-role">Role</label>
              <select id="limit-role" value={role} onChange={(e) => setRole((e.currentTarget as HTMLSelectElement).value as typeof role)}>
                <option value="member">member</option>
                <option value="admin">admin</option>
              </select>
            </div>
          )}
          {(kind === 'person' || kind === 'person_familiar') && (
            <div class="field">
              <label for="limit-person">Person</label>
              <select id="limit-person" value={userId} onChange={(e) => setUserId((e.currentTarget as HTMLSelectElement).value)}>
                <option value="">Choose…</option>
                {people.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          {(kind === 'familiar' || kind === 'person_familiar') && (
            <div class="field">
              <label for="limit-familiar">Familiar</label>
              <select id="limit-familiar" value={familiarId} onChange={(e) => setFamiliarId((e.currentTarget as HTMLSelectElement).value)}>
                <option value="">Choose…</option>
                {fams.map((f) => (
                  <option key={f.id} value={f.id}>
                    {f.name}
                  </option>
                ))}
              </select>
            </div>
          )}
        </div>
        <div class="limits-grid">
          {FIELDS.map(([f, label, k]) => {
            const id = `limit-${f}`;
            const problem = problems[f];
            return (
              <div class="field" key={f}>
                <label for={id}>{label}</label>
                <input
                  id={id}
                  name={f}
                  type="text"
                  inputMode={k === 'money' ? 'decimal' : 'numeric'}
                  autocomplete="off"
                  placeholder="no limit"
                  value={values[f]}
                  aria-invalid={problem ? 'true' : undefined}
                  aria-describedby={problem ? `${id}-problem` : undefined}
                  onInput={(e) => setValues({ ...values, [f]: (e.currentTarget as HTMLInputElement).value })}
                />
                {problem && (
                  <p class="meta error" id={`${id}-problem`}>
                    {problem}
                  </p>
                )}
              </div>
            );
          })}
        </div>
        <button type="submit" disabled={busy}>
          Save limits
        </button>
      </form>
    </section>
  );
}
