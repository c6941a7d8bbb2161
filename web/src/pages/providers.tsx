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
  timeoutMs?: number;
  maxRetries?: number;
  maxOutputTokens?: number | null;
  trustedLocalNetwork?: boolean;
}

type TestResult = { ok: true; models: string[] } | { ok: false; error: string; detail?: string };

/** The form's text fields; numbers are typed as text and checked on save. */
interface Draft {
  name: string;
  baseUrl: string;
  defaultModel: string;
  apiKey: string;
  removeKey: boolean;
  timeoutSeconds: string;
  maxRetries: string;
  maxOutputTokens: string;
  trustedLocalNetwork: boolean;
}

const EMPTY: Draft = {
  name: '',
  baseUrl: '',
  defaultModel: '',
  apiKey: '',
  removeKey: false,
  timeoutSeconds: '60',
  maxRetries: '2',
  maxOutputTokens: '',
  trustedLocalNetwork: false,
};

const draftOf = (p: Provider): Draft => ({
  name: p.name,
  baseUrl: p.baseUrl ?? '',
  defaultModel: p.defaultModel ?? '',
  apiKey: '',
  removeKey: false,
  timeoutSeconds: String(Math.round((p.timeoutMs ?? 60_000) / 1000)),
  maxRetries: String(p.maxRetries ?? 2),
  maxOutputTokens: p.maxOutputTokens ? String(p.maxOutputTokens) : '',
  trustedLocalNetwork: p.trustedLocalNetwork === true,
});

/** The request body for a draft, or a message saying which field is wrong. */
function bodyOf(d: Draft): Record<string, unknown> | string {
  const timeout = Number(d.timeoutSeconds);
  const retries = Number(d.maxRetries);
  const limit = d.maxOutputTokens.trim() ? Number(d.maxOutputTokens) : null;
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600) return 'Timeout: a whole number of seconds from 1 to 600.';
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) return 'Retries: a whole number from 0 to 10.';
  if (limit !== null && (!Number.isInteger(limit) || limit < 16)) return 'Output limit: a whole number of tokens, at least 16, or empty.';
  return {
    name: d.name,
    baseUrl: d.baseUrl,
    defaultModel: d.defaultModel.trim() || null,
    timeoutMs: timeout * 1000,
    maxRetries: retries,
    maxOutputTokens: limit,
    trustedLocalNetwork: d.trustedLocalNetwork,
    // An empty key field keeps the stored key (or sets none); the checkbox removes it.
    ...(d.removeKey ? { apiKey: null } : d.apiKey ? { apiKey: d.apiKey } : {}),
  };
}

/** Adds or edits one provider. */
function ProviderForm(props: { initial: Draft; editing?: Provider; onSaved: (name: string) => void; onCancel?: () => void }): JSX.Element {
  const [d, setD] = useState<Draft>(props.initial);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Draft) => (v: string) => setD({ ...d, [k]: v });
  const prefix = props.editing ? 'edit-' : '';
  const save = async (e: Event) => {
    e.preventDefault();
    const body = bodyOf(d);
    if (typeof body === 'string') return setError(body);
    setBusy(true);
    setError(null);
    try {
      if (props.editing) await api('PATCH', `/api/providers/${encodeURIComponent(props.editing.id)}`, body);
      else await api('POST', '/api/providers', body);
      props.onSaved(d.name);
      if (!props.editing) setD(EMPTY);
    } catch (err) {
      setError(messageOf(err));
    } finally {
      setBusy(false);
    }
  };
  const titleId = `${prefix}provider-form`;
  return (
    <form onSubmit={save} aria-labelledby={titleId} class={props.editing ? 'card editor' : undefined}>
      <h2 id={titleId}>{props.editing ? `Edit ${props.editing.name}` : 'Add an OpenAI-compatible provider'}</h2>
      <Field label="Name" name={`${prefix}provider-name`} value={d.name} onInput={set('name')} max={64} required />
      <Field
        label="Base URL"
        name={`${prefix}base-url`}
        type="url"
        value={d.baseUrl}
        onInput={set('baseUrl')}
        placeholder="https://api.openai.com/v1"
        required
      />
      <Field label="Default model" name={`${prefix}provider-model`} value={d.defaultModel} onInput={set('defaultModel')} max={200} />
      <Field
        label={props.editing ? `API key (stored: ${props.editing.apiKey ?? 'none'}; leave empty to keep it)` : 'API key'}
        name={`${prefix}api-key`}
        type="password"
        value={d.apiKey}
        onInput={set('apiKey')}
        autocomplete="off"
      />
      {props.editing?.apiKey && (
        <label class="inline">
          <input
            type="checkbox"
            checked={d.removeKey}
            onChange={(e) => setD({ ...d, removeKey: (e.currentTarget as HTMLInputElement).checked })}
          />{' '}
          Remove the stored key
        </label>
      )}
      <label class="inline">
        <input
          type="checkbox"
          checked={d.trustedLocalNetwork}
          onChange={(e) => setD({ ...d, trustedLocalNetwork: (e.currentTarget as HTMLInputElement).checked })}
        />{' '}
        Trusted local network: allow plain http to a private address (a LAN Ollama, llama.cpp or LM Studio)
      </label>
      {d.trustedLocalNetwork && (
        <p class="notice warning" role="note">
          Over plain http, anyone on that network can read the conversations sent to this provider and its key, or answer in its place. Tick
          this only for a network you control. Public addresses still need https; the change is recorded in the audit log.
        </p>
      )}
      <div class="grid-fields">
        <Field label="Timeout (seconds)" name={`${prefix}timeout`} value={d.timeoutSeconds} onInput={set('timeoutSeconds')} />
        <Field label="Retries" name={`${prefix}retries`} value={d.maxRetries} onInput={set('maxRetries')} />
        <Field
          label="Output limit (tokens per call)"
          name={`${prefix}max-output`}
          value={d.maxOutputTokens}
          onInput={set('maxOutputTokens')}
        />
      </div>
      <Notice error={error} />
      <div class="actions">
        <button type="submit" disabled={busy}>
          {props.editing ? 'Save changes' : 'Save provider'}
        </button>
        {props.onCancel && (
          <button type="button" class="secondary" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

/** Model providers: keys go in once and come back only as their last four characters (DATA-1). */
export function ProvidersPage(): JSX.Element {
  const res = useResource<unknown>('/api/providers');
  const [info, setInfo] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [testing, setTesting] = useState<string | null>(null);
  const [result, setResult] = useState<{ id: string; r: TestResult } | null>(null);

  const test = async (p: Provider) => {
    setError(null);
    setInfo(null);
    setResult(null);
    setTesting(p.id);
    try {
      const r = await api<TestResult>('POST', `/api/providers/${encodeURIComponent(p.id)}/test`, {});
      setResult({ id: p.id, r });
      if (r.ok) setInfo(`${p.name}: connection works${r.models.length ? ` (${r.models.length} models)` : ''}.`);
      else setError(`${p.name}: ${r.error}${r.detail ? `. The provider said: ${r.detail}` : ''}`);
    } catch (err) {
      setError(`${p.name}: ${messageOf(err)}`);
    } finally {
      setTesting(null);
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
  const providers = listOf<Provider>(res.data);
  const shown = providers.find((p) => p.id === editing);
  return (
    <Page title="Providers">
      <Notice error={error} info={info} />
      {testing && (
        <p class="notice info" role="status" aria-busy="true">
          Testing {providers.find((p) => p.id === testing)?.name}: asking for its models…
        </p>
      )}
      <table tabIndex={0}>
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
          {providers.map((p) => (
            <tr key={p.id}>
              <td>{p.name}</td>
              <td class="wrap">
                {p.baseUrl}
                {p.trustedLocalNetwork && <span class="badge"> trusted local network</span>}
              </td>
              <td>{p.defaultModel}</td>
              <td>
                <code>{p.apiKey ?? 'none'}</code>
              </td>
              <td class="actions">
                <button type="button" class="secondary small" disabled={testing !== null} onClick={() => void test(p)}>
                  {testing === p.id ? 'Testing…' : 'Test connection'}
                </button>
                <button type="button" class="secondary small" onClick={() => setEditing(p.id)} aria-label={`Edit ${p.name}`}>
                  Edit
                </button>
                <button type="button" class="danger small" onClick={() => void remove(p)}>
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {result?.r.ok && result.r.models.length > 0 && (
        <details class="models">
          <summary>Models of {providers.find((p) => p.id === result.id)?.name}</summary>
          <ul>
            {result.r.models.map((m) => (
              <li key={m}>
                <code>{m}</code>
              </li>
            ))}
          </ul>
        </details>
      )}
      {shown && (
        <ProviderForm
          key={shown.id}
          initial={draftOf(shown)}
          editing={shown}
          onSaved={(name) => (setEditing(null), setError(null), setInfo(`Saved ${name}.`), res.reload())}
          onCancel={() => setEditing(null)}
        />
      )}
      <ProviderForm initial={EMPTY} onSaved={(name) => (setError(null), setInfo(`Saved ${name}.`), res.reload())} />
    </Page>
  );
}
