import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import type { Me } from '../session.js';
import { Notice, NotYet, Page, useResource, when } from '../ui.js';

interface Memory {
  id: string;
  text?: string;
  content?: string;
  provenance?: string;
  familiarId?: string;
  createdAt?: number;
  updatedAt?: number;
}
interface HistoryEntry {
  version: number;
  text: string;
  change: string;
  provenance?: string;
  at: number;
}

const textOf = (m: Memory) => m.text ?? m.content ?? '';

/** The memory browser: search, edit, delete, and each memory's history (MEM-2). */
export function MemoriesPage(_props: { me: Me }): JSX.Element {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const res = useResource<unknown>(`/api/memories${query ? `?q=${encodeURIComponent(query)}` : ''}`);
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const [history, setHistory] = useState<{ id: string; rows: HistoryEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);

  const save = async (e: Event) => {
    e.preventDefault();
    if (!editing) return;
    try {
      await api('PATCH', `/api/memories/${encodeURIComponent(editing.id)}`, { text: editing.text });
      setEditing(null);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const remove = async (m: Memory) => {
    if (!window.confirm(`Delete this memory?\n\n${textOf(m).slice(0, 200)}`)) return;
    try {
      await api('DELETE', `/api/memories/${encodeURIComponent(m.id)}`);
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const showHistory = async (m: Memory) => {
    try {
      setHistory({ id: m.id, rows: listOf<HistoryEntry>(await api('GET', `/api/memories/${encodeURIComponent(m.id)}/history`)) });
    } catch (err) {
      setError(messageOf(err));
    }
  };
  if (res.missing)
    return (
      <Page title="Memories">
        <NotYet what="Long-term memories arrive with the memory work; this server does not offer them yet." />
      </Page>
    );
  const rows = listOf<Memory>(res.data);
  return (
    <Page title="Memories">
      <form class="search" role="search" onSubmit={(e) => (e.preventDefault(), setQuery(q))}>
        <label for="memory-q">Search memories</label>
        <input id="memory-q" type="search" value={q} onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
        <button type="submit">Search</button>
      </form>
      <Notice error={error ?? res.error} />
      {rows.length === 0 && <p>No memories{query ? ' match that search' : ' yet'}.</p>}
      <ul class="memories">
        {rows.map((m) => (
          <li key={m.id} class="card memory">
            {editing?.id === m.id ? (
              <form onSubmit={save}>
                <label for={`edit-${m.id}`}>Edit memory</label>
                <textarea
                  id={`edit-${m.id}`}
                  value={editing.text}
                  onInput={(e) => setEditing({ id: m.id, text: (e.currentTarget as HTMLTextAreaElement).value })}
                />
                <button type="submit" class="small">
                  Save
                </button>{' '}
                <button type="button" class="secondary small" onClick={() => setEditing(null)}>
                  Cancel
                </button>
              </form>
            ) : (
              <p class="plain">{textOf(m)}</p>
            )}
            <p class="meta">
              {m.provenance ? `from ${m.provenance} · ` : ''}
              {when(m.updatedAt ?? m.createdAt)}
            </p>
            <div class="actions">
              <button type="button" class="secondary small" onClick={() => setEditing({ id: m.id, text: textOf(m) })}>
                Edit
              </button>
              <button type="button" class="secondary small" onClick={() => void showHistory(m)}>
                History
              </button>
              <button type="button" class="danger small" onClick={() => void remove(m)}>
                Delete
              </button>
            </div>
            {history?.id === m.id && (
              <ol class="history" aria-label="History">
                {history.rows.map((h) => (
                  <li key={h.version}>
                    v{h.version} {h.change} {when(h.at)}: <span class="plain">{h.text}</span>
                  </li>
                ))}
              </ol>
            )}
          </li>
        ))}
      </ul>
    </Page>
  );
}
