import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { isAdmin, type Me } from '../session.js';
import { Field, Notice, NotYet, Page, useResource } from '../ui.js';

interface Familiar {
  id: string;
  slug?: string;
  name: string;
  persona?: string;
  providerId?: string | null;
  model?: string;
}

const slugOf = (name: string) =>
  name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63) || 'familiar';
interface Provider {
  id: string;
  name: string;
}

/** Familiars (CFG-2 limits shown live: name 64, persona 8,000). */
export function FamiliarsPage(props: { me: Me }): JSX.Element {
  const res = useResource<unknown>('/api/familiars');
  const providers = useResource<unknown>(isAdmin(props.me) ? '/api/providers' : null);
  const [name, setName] = useState('');
  const [persona, setPersona] = useState('');
  const [providerId, setProviderId] = useState('');
  const [model, setModel] = useState('');
  const [slug, setSlug] = useState('');
  const [tools, setTools] = useState('remember, recall');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const provs = listOf<Provider>(providers.data);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const pid = providerId || provs[0]?.id;
      await api('POST', '/api/familiars', {
        slug: slug || slugOf(name),
        name,
        persona,
        model,
        allowedTools: tools.split(/[\s,]+/).filter(Boolean),
        ...(pid ? { providerId: pid } : {}),
      });
      setInfo(`Created ${name}.`);
      setName('');
      setSlug('');
      setPersona('');
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const remove = async (f: Familiar) => {
    const path = `/api/familiars/${encodeURIComponent(f.id)}`;
    try {
      // What it holds is shown before confirming; the operator chooses to delete it or keep it.
      const { counts } = await api<{ counts: Record<string, number> }>('GET', `${path}/data`);
      const held = Object.entries(counts).filter(([, n]) => n > 0);
      let data: 'delete' | 'keep' = 'delete';
      if (held.length === 0) {
        if (!window.confirm(`Delete the familiar ${f.name}? It holds no conversations, memories or notes.`)) return;
      } else {
        const list = held.map(([what, n]) => `${n} ${what.replace(/_/g, ' ')}`).join(', ');
        if (window.confirm(`Delete the familiar ${f.name} and everything it holds (${list})? Cancel to choose keeping its data.`))
          data = 'delete';
        else if (window.confirm(`Delete the familiar ${f.name} but keep its data (${list})?`)) data = 'keep';
        else return;
      }
      await api('DELETE', `${path}?data=${data}`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  if (res.missing)
    return (
      <Page title="Familiars">
        <NotYet what="Familiars arrive with the turn work; this server does not offer them yet." />
      </Page>
    );
  return (
    <Page title="Familiars">
      <ul class="cards">
        {listOf<Familiar>(res.data).map((f) => (
          <li key={f.id} class="card">
            <h2>{f.name}</h2>
            <p class="clip">{f.persona}</p>
            {isAdmin(props.me) && (
              <button type="button" class="danger small" onClick={() => void remove(f)}>
                Delete
              </button>
            )}
          </li>
        ))}
      </ul>
      {isAdmin(props.me) && (
        <form onSubmit={create} aria-labelledby="new-familiar">
          <h2 id="new-familiar">New familiar</h2>
          <Field label="Name" name="familiar-name" value={name} onInput={setName} max={64} required />
          <Field
            label="Short name (for the API)"
            name="familiar-slug"
            value={slug}
            onInput={setSlug}
            max={63}
            placeholder={slugOf(name || 'familiar')}
          />
          <Field label="Persona" name="persona" value={persona} onInput={setPersona} max={8000} multiline required />
          <div class="field">
            <label for="familiar-provider">Provider</label>
            <select id="familiar-provider" value={providerId} onChange={(e) => setProviderId((e.currentTarget as HTMLSelectElement).value)}>
              {provs.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </select>
          </div>
          <Field label="Model" name="familiar-model" value={model} onInput={setModel} max={200} required />
          <Field
            label="Allowed tools (comma-separated)"
            name="familiar-tools"
            value={tools}
            onInput={setTools}
            max={2000}
            placeholder="remember, recall, notes_read"
          />
          <Notice error={error} info={info} />
          <button type="submit" disabled={name.length > 64 || persona.length > 8000}>
            Create familiar
          </button>
        </form>
      )}
    </Page>
  );
}
