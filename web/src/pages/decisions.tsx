import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
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

/** The pending pairings, live from `/api/pairings/events` (a frame whenever the list changes); null until the first frame. */
function usePairingStream(): Pairing[] | null {
  const [list, setList] = useState<Pairing[] | null>(null);
  useEffect(() => {
    const source = new EventSource('/api/pairings/events', { withCredentials: true });
    const onFrame = (e: MessageEvent<string>) => {
      try {
        const body = JSON.parse(e.data) as { pairings?: Pairing[] };
        setList(Array.isArray(body.pairings) ? body.pairings : []);
      } catch {
        /* a damaged frame is skipped; the next one replaces it */
      }
    };
    source.addEventListener('pairings', onFrame as EventListener);
    return () => {
      source.removeEventListener('pairings', onFrame as EventListener);
      source.close();
    };
  }, []);
  return list;
}

/** Channel pairing requests (Telegram, Discord, Twitch), live: an admin approves or denies each code. */
export function PairingsPage(): JSX.Element {
  const res = useResource<unknown>('/api/pairings');
  const live = usePairingStream();
  // A decided code leaves the list at once, before the stream's next frame confirms it.
  const [decided, setDecided] = useState<string[]>([]);
  const { error, info, decide } = useDecision(res.reload);
  if (res.missing)
    return (
      <Page title="Pairings">
        <NotYet what="Pairings arrive with the channel work; this server does not offer them yet." />
      </Page>
    );
  const rows = (live ?? listOf<Pairing>(res.data)).filter((p) => !decided.includes(p.id));
  const settle = (p: Pairing, verb: 'approve' | 'deny') =>
    api('POST', `/api/pairings/${encodeURIComponent(p.id)}/${verb}`, {}).then(() => setDecided((d) => [...d, p.id]));
  return (
    <Page title="Pairings">
      <Notice error={error ?? res.error} info={info} />
      {rows.length === 0 && <p>No pairing requests are waiting.</p>}
      <table tabIndex={0}>
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
                <button type="button" class="small" onClick={() => void decide(`Approved ${p.code}.`, () => settle(p, 'approve'))}>
                  Approve {p.code}
                </button>
                <button type="button" class="danger small" onClick={() => void decide(`Denied ${p.code}.`, () => settle(p, 'deny'))}>
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
