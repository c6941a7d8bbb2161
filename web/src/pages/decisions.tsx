import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { Notice, NotYet, Page, useResource, when } from '../ui.js';

interface Pairing {
  id: string;
  channel: string;
  externalId: string;
  displayName: string | null;
  code: string;
  createdAt: number;
  expiresAt: number;
}

/** Runs a decision and reports its outcome in the page's status region. */
function useDecision(reload: () => void) {
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const decide = async (label: string, fn: () => Promise<unknown>) => {
    setError(null);
    try {
      await fn();
      setInfo(label);
      reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  return { error, info, decide };
}

/** Channel pairing requests (Telegram, Discord, Twitch): an admin approves or denies each code. */
export function PairingsPage(): JSX.Element {
  const res = useResource<unknown>('/api/pairings');
  const { error, info, decide } = useDecision(res.reload);
  if (res.missing)
    return (
      <Page title="Pairings">
        <NotYet what="Pairings arrive with the channel work; this server does not offer them yet." />
      </Page>
    );
  const rows = listOf<Pairing>(res.data);
  return (
    <Page title="Pairings">
      <Notice error={error ?? res.error} info={info} />
      {rows.length === 0 && <p>No pairing requests are waiting.</p>}
      <table>
        <thead>
          <tr>
            <th scope="col">Channel</th>
            <th scope="col">Who</th>
            <th scope="col">Code</th>
            <th scope="col">Expires</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((p) => (
            <tr key={p.id}>
              <td>{p.channel}</td>
              <td>
                {p.displayName ?? p.externalId} <small>({p.externalId})</small>
              </td>
              <td>
                <code>{p.code}</code>
              </td>
              <td>{when(p.expiresAt)}</td>
              <td class="actions">
                <button
                  type="button"
                  class="small"
                  onClick={() =>
                    void decide(`Approved ${p.code}.`, () => api('POST', `/api/pairings/${encodeURIComponent(p.id)}/approve`, {}))
                  }
                >
                  Approve {p.code}
                </button>
                <button
                  type="button"
                  class="danger small"
                  onClick={() => void decide(`Denied ${p.code}.`, () => api('POST', `/api/pairings/${encodeURIComponent(p.id)}/deny`, {}))}
                >
                  Deny {p.code}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
