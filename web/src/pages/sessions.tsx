import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { Notice, Page, useResource, when } from '../ui.js';

interface SessionRow {
  id: string;
  current?: boolean;
  ip?: string;
  userAgent?: string;
  createdAt?: number;
  lastSeenAt?: number;
  expiresAt?: number;
}

/** The person's signed-in sessions, each revocable. */
export function SessionsPage(): JSX.Element {
  const res = useResource<unknown>('/api/auth/sessions');
  const [error, setError] = useState<string | null>(null);
  const revoke = async (id: string) => {
    try {
      await api('DELETE', `/api/auth/sessions/${encodeURIComponent(id)}`);
      res.reload();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const rows = listOf<SessionRow>(res.data);
  return (
    <Page title="Sessions">
      <Notice error={error ?? res.error} />
      <table tabIndex={0}>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Address</th>
            <th scope="col">Started</th>
            <th scope="col">Last seen</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((s) => (
            <tr key={s.id}>
              <td>
                {s.userAgent ?? 'Unknown'} {s.current && <strong>(this one)</strong>}
              </td>
              <td>{s.ip ?? ''}</td>
              <td>{when(s.createdAt)}</td>
              <td>{when(s.lastSeenAt)}</td>
              <td>
                <button type="button" class="danger small" onClick={() => void revoke(s.id)}>
                  Revoke
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}
