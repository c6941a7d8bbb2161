import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { Field, Notice, NotYet, Page, useResource } from '../ui.js';

interface Provider {
  id: string;
  name: string;
  baseUrl?: string;
  defaultModel?: string | null;
  apiKey?: string | null;
}

/** Model providers: keys go in once and come back only as their last four characters (DATA-1). */
export function ProvidersPage(): JSX.Element {
  const res = useResource<unknown>('/api/providers');
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [model, setModel] = useState('');
  const [apiKey, setApiKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api('POST', '/api/providers', { name, baseUrl, ...(model ? { defaultModel: model } : {}), ...(apiKey ? { apiKey } : {}) });
      setInfo(`Saved ${name}.`);
      setApiKey('');
      setName('');
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const test = async (p: Provider) => {
    setError(null);
    setInfo(null);
    try {
      const r = await api<{ ok?: boolean; error?: string; models?: string[] }>(
        'POST',
        `/api/providers/${encodeURIComponent(p.id)}/test`,
        {},
      );
      if (r && r.ok === false) setError(`${p.name}: ${r.error ?? 'connection failed'}`);
      else setInfo(`${p.name}: connection works${r?.models?.length ? ` (${r.models.length} models)` : ''}.`);
    } catch (err) {
      setError(`${p.name}: ${messageOf(err)}`);
    }
  };
  const remove = async (p: Provider) => {
    if (!window.confirm(`Delete the provider ${p.name}?`)) return;
    try {
      await api('DELETE', `/api/providers/${encodeURIComponent(p.id)}`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  if (res.missing)
    return (
      <Page title="Providers">
        <NotYet what="Providers arrive with the turn work; this server does not offer them yet." />
      </Page>
    );
  return (
    <Page title="Providers">
      <Notice error={error} info={info} />
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Endpoint</th>
            <th scope="col">Model</th>
            <th scope="col">Key</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {listOf<Provider>(res.data).map((p) => {
            return (
              <tr key={p.id}>
                <td>{p.name}</td>
                <td>{p.baseUrl}</td>
                <td>{p.defaultModel}</td>
                <td>
                  <code>{p.apiKey ?? 'none'}</code>
                </td>
                <td class="actions">
                  <button type="button" class="secondary small" onClick={() => void test(p)}>
                    Test connection
                  </button>
                  <button type="button" class="danger small" onClick={() => void remove(p)}>
                    Delete
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <form onSubmit={create} aria-labelledby="new-provider">
        <h2 id="new-provider">Add an OpenAI-compatible provider</h2>
        <Field label="Name" name="provider-name" value={name} onInput={setName} max={64} required />
        <Field
          label="Base URL"
          name="base-url"
          type="url"
          value={baseUrl}
          onInput={setBaseUrl}
          placeholder="https://api.openai.com/v1"
          required
        />
        <Field label="Default model" name="provider-model" value={model} onInput={setModel} max={200} />
        <Field label="API key" name="api-key" type="password" value={apiKey} onInput={setApiKey} autocomplete="off" />
        <button type="submit">Save provider</button>
      </form>
    </Page>
  );
}
