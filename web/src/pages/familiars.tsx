import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { isAdmin, type Me } from '../session.js';
import { Avatar, avatarUrl } from '../components/avatar.js';
import { FamiliarForm, type FamiliarRecord } from '../components/familiar-form.js';
import { CardImport } from '../components/card-import.js';
import { ShellSandboxForm } from '../components/shell-sandbox.js';
import { exportCard, type ImportedCard } from '../cards.js';
import { Notice, NotYet, Page, useResource } from '../ui.js';

/** Familiars: admins create and edit every field with a live preview (CFG-2 limits shown live: name 64, persona 8,000). */
export function FamiliarsPage(props: { me: Me }): JSX.Element {
  const res = useResource<unknown>('/api/familiars');
  const admin = isAdmin(props.me);
  const providers = useResource<unknown>(admin ? '/api/providers' : null);
  const people = useResource<unknown>(admin ? '/api/users' : null);
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const [imported, setImported] = useState<{ card: ImportedCard; n: number } | null>(null);
  const familiars = listOf<FamiliarRecord>(res.data);

  /** Downloads the familiar as a V3 card (JSON), through an object URL (no inline code). */
  const download = (f: FamiliarRecord) => {
    const url = URL.createObjectURL(new Blob([exportCard(f)], { type: 'application/json' }));
    const a = document.createElement('a');
    a.href = url;
    a.download = `${f.slug ?? 'familiar'}.card.json`;
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  };
  const remove = async (f: FamiliarRecord) => {
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
  const shown = familiars.find((f) => f.id === editing);
  const common = {
    providers: listOf<{ id: string; name: string; defaultModel?: string | null }>(providers.data),
    people: listOf<{ id: string; name: string }>(people.data),
  };
  return (
    <Page title="Familiars">
      <Notice error={error} info={info} />
      <ul class="cards">
        {familiars.map((f) => (
          <li key={f.id} class="card">
            <div class="card-head">
              <Avatar name={f.name} size="large" src={avatarUrl(f)} />
              <h2>{f.name}</h2>
            </div>
            <p class="clip">{f.persona}</p>
            {admin && (
              <div class="actions">
                <button type="button" class="secondary small" aria-label={`Edit ${f.name}`} onClick={() => setEditing(f.id)}>
                  Edit
                </button>
                <button type="button" class="secondary small" aria-label={`Export card of ${f.name}`} onClick={() => download(f)}>
                  Export card
                </button>
                <button type="button" class="danger small" onClick={() => void remove(f)}>
                  Delete
                </button>
              </div>
            )}
          </li>
        ))}
      </ul>
      {admin && shown && (
        <FamiliarForm
          key={shown.id}
          {...common}
          editing={shown}
          onSaved={(name) => (setEditing(null), setError(null), setInfo(`Saved ${name}.`), res.reload())}
          onCancel={() => setEditing(null)}
        />
      )}
      {admin && shown && <ShellSandboxForm key={`sandbox-${shown.id}`} familiarId={shown.id} />}
      {admin && !shown && (
        <FamiliarForm
          key={imported ? `card-${imported.n}` : 'new'}
          {...common}
          {...(imported ? { prefill: imported.card } : {})}
          onSaved={(name) => (setError(null), setImported(null), setInfo(`Created ${name}.`), res.reload())}
        />
      )}
      {admin && !shown && (
        <CardImport
          onUse={(card) => {
            setImported({ card, n: (imported?.n ?? 0) + 1 });
            setInfo(`The card of ${card.name} is in the form above: check it and create the familiar.`);
          }}
        />
      )}
    </Page>
  );
}
