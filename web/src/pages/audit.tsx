import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { listOf } from '../api.js';
import { Notice, NotYet, Page, useResource, when } from '../ui.js';

interface AuditEntry {
  id?: string | number;
  seq?: number;
  at?: number;
  ts?: number;
  createdAt?: number;
  action: string;
  outcome?: string;
  actor?: unknown;
  actorId?: string;
  target?: string | null;
  requestId?: string;
}

/** The actor as people read it: a person's name where the entry names a person (their own id, or the key's or model's person). */
function actorText(e: AuditEntry, names: Map<string, string>): string {
  if (typeof e.actor === 'string') return e.actor;
  if (e.actor && typeof e.actor === 'object') {
    const a = e.actor as { type?: string; id?: string; ip?: string; userId?: string };
    const person = names.get(a.userId ?? (a.type === 'user' ? (a.id ?? '') : ''));
    if (a.type === 'user' && person) return person;
    return [a.type, a.id ?? a.ip, person && `(${person})`].filter(Boolean).join(' ');
  }
  return e.actorId ? (names.get(e.actorId) ?? e.actorId) : '';
}

/** The audit log (LOG-3) with filters by action, outcome and actor. */
export function AuditPage(): JSX.Element {
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const [actor, setActor] = useState('');
  const [actorType, setActorType] = useState('');
  const [filters, setFilters] = useState('?limit=200');
  const res = useResource<unknown>(`/api/audit${filters}`);
  const people = listOf<{ id: string; name: string }>(useResource<unknown>('/api/users').data);
  const names = new Map(people.map((p) => [p.id, p.name]));
  const apply = (e: Event) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (action) p.set('action', action);
    if (outcome) p.set('outcome', outcome);
    if (actor) p.set('userId', actor);
    if (actorType) p.set('actorType', actorType);
    p.set('limit', '200');
    const s = p.toString();
    setFilters(`?${s}`);
  };
  if (res.missing)
    return (
      <Page title="Audit log">
        <NotYet what="The audit log API is not on this server yet." />
      </Page>
    );
  return (
    <Page title="Audit log">
      <form class="filters" onSubmit={apply} aria-label="Filters">
        <label for="audit-action">Action</label>
        <input
          id="audit-action"
          value={action}
          placeholder="auth.login"
          onInput={(e) => setAction((e.currentTarget as HTMLInputElement).value)}
        />
        <label for="audit-outcome">Outcome</label>
        <select id="audit-outcome" value={outcome} onChange={(e) => setOutcome((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">any</option>
          <option value="success">success</option>
          <option value="failure">failure</option>
          <option value="denied">denied</option>
          <option value="pending">pending</option>
        </select>
        <label for="audit-actor-type">Actor type</label>
        <select id="audit-actor-type" value={actorType} onChange={(e) => setActorType((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">any</option>
          {['user', 'api_key', 'channel', 'model', 'anonymous', 'system'].map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
        <label for="audit-actor">Person</label>
        <select id="audit-actor" value={actor} onChange={(e) => setActor((e.currentTarget as HTMLSelectElement).value)}>
          <option value="">anyone</option>
          {people.map((p) => (
            <option key={p.id} value={p.id}>
              {p.name}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
      </form>
      <Notice error={res.error} />
      <table tabIndex={0}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            <th scope="col">Actor</th>
            <th scope="col">Target</th>
          </tr>
        </thead>
        <tbody>
          {listOf<AuditEntry>(res.data).map((e, i) => (
            <tr key={e.id ?? e.seq ?? i}>
              <td>{when(e.at ?? e.ts ?? e.createdAt)}</td>
              <td>{e.action}</td>
              <td>{e.outcome}</td>
              <td>{actorText(e, names)}</td>
              <td>{e.target ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
