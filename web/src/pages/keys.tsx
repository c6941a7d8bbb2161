import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { Field, Notice, Page, useResource, when } from '../ui.js';

interface Key {
  id: string;
  name: string;
  scopes?: string[];
  prefix?: string;
  last4?: string;
  createdAt?: number;
  lastUsedAt?: number | null;
  expiresAt?: number | null;
}
const SCOPES = ['read', 'write', 'chat'] as const;

/** API keys: the secret is shown once, with a copy button; afterwards only its name and last four. */
export function KeysPage(): JSX.Element {
  const res = useResource<unknown>('/api/keys');
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['chat']);
  const [secret, setSecret] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await api<{ key?: string }>('POST', '/api/keys', { name, scopes });
      setSecret(r.key ?? null);
      setCopied(false);
      setName('');
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const revoke = async (k: Key) => {
    try {
      await api('DELETE', `/api/keys/${encodeURIComponent(k.id)}`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const copy = async () => {
    if (!secret) return;
    await navigator.clipboard.writeText(secret).then(
      () => setCopied(true),
      () => setError('Copy failed; select the key and copy it by hand.'),
    );
  };
  return (
    <Page title="API keys">
      <Notice error={error ?? res.error} />
      {secret && (
        <div class="notice info" role="status">
          <p>Your new key. It is shown only now; store it somewhere safe.</p>
          <code class="secret" id="new-key">
            {secret}
          </code>{' '}
          <button type="button" class="small" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </button>{' '}
          <button type="button" class="secondary small" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      )}
      <table tabIndex={0}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Key</th>
            <th scope="col">Last used</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {listOf<Key & { revokedAt?: number | null }>(res.data)
            .filter((k) => !k.revokedAt)
            .map((k) => (
              <tr key={k.id}>
                <td>{k.name}</td>
                <td>{(k.scopes ?? []).join(', ')}</td>
                <td>
                  <code>{k.prefix ?? ''}…</code>
                </td>
                <td>{when(k.lastUsedAt) || 'never'}</td>
                <td>
                  <button type="button" class="danger small" onClick={() => void revoke(k)}>
                    Revoke
                  </button>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
      <form onSubmit={create} aria-labelledby="new-key-title">
        <h2 id="new-key-title">New key</h2>
        <Field label="Name" name="key-name" value={name} onInput={setName} max={64} required />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((s) => (
            <label key={s} class="inline">
              <input
                type="checkbox"
                checked={scopes.includes(s)}
                onChange={(e) =>
                  setScopes((cur) => ((e.currentTarget as HTMLInputElement).checked ? [...cur, s] : cur.filter((x) => x !== s)))
                }
              />{' '}
              {s}
            </label>
          ))}
        </fieldset>
        <button type="submit" disabled={scopes.length === 0}>
          Create key
        </button>
      </form>
    </Page>
  );
}
