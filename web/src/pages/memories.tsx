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
  sourceRef?: string | null;
  metadata?: Record<string, unknown>;
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

/** Why a memory is kept, in words (the same origins the chat channels' /why gives). */
const ORIGINS: Record<string, string> = {
  person: 'you told it',
  owner: 'an admin wrote it',
  familiar: 'the familiar noted it (its memory tool, or from a conversation)',
  external: 'imported from outside (untrusted)',
};
const TURN_REF = /^conversation:([^/\s]+)\/message:([^/\s]+)$/;

/** Where a memory came from: its origin, the channel it was said on, and the conversation of its turn (read as the caller). */
async function explain(m: Memory): Promise<string[]> {
  const lines = [`Why: ${ORIGINS[m.provenance ?? ''] ?? m.provenance ?? 'unknown'}, ${when(m.createdAt)}.`];
  if (typeof m.metadata?.channel === 'string') lines.push(`Said on ${m.metadata.channel}.`);
  const turn = m.sourceRef ? TURN_REF.exec(m.sourceRef) : null;
  if (turn) {
    const c = await api<{ channel?: string; title?: string | null }>('GET', `/api/conversations/${encodeURIComponent(turn[1]!)}`).catch(
      () => undefined,
    );
    lines.push(
      c ? `From a conversation on ${c.channel ?? 'the web'}${c.title ? ` (“${c.title}”)` : ''}.` : 'From a conversation since deleted.',
    );
  } else if (m.sourceRef) lines.push(`Source: ${m.sourceRef}`);
  return lines;
}

/** The memory browser: search, edit, forget one or everything, where each came from and its history (MEM-2). */
export function MemoriesPage(props: { me: Me }): JSX.Element {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const res = useResource<unknown>(`/api/memories${query ? `?q=${encodeURIComponent(query)}` : ''}`);
  const [editing, setEditing] = useState<{ id: string; text: string } | null>(null);
  const [history, setHistory] = useState<{ id: string; rows: HistoryEntry[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [why, setWhy] = useState<{ id: string; lines: string[] } | null>(null);

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
  const showWhy = async (m: Memory) => setWhy({ id: m.id, lines: await explain(m) });
  /** Forgets every memory, page by page (each deletion audited like a single one). */
  const forgetAll = async () => {
    if (!window.confirm('Forget everything the familiars remember about you? This cannot be undone.')) return;
    try {
      for (let page = listOf<Memory>(await api('GET', '/api/memories?limit=100')); page.length;) {
        for (const m of page) await api('DELETE', `/api/memories/${encodeURIComponent(m.id)}`);
        page = listOf<Memory>(await api('GET', '/api/memories?limit=100'));
      }
      res.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  /** The person's own export (every concern's data, memories with their history), as a file. */
  const exportMine = async () => {
    const response = await fetch(`/api/users/${encodeURIComponent(props.me.id)}/export`, { credentials: 'same-origin' });
    if (!response.ok) return setError(`Export failed (${response.status})`);
    const url = URL.createObjectURL(await response.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'hearth-export.json';
    a.click();
    URL.revokeObjectURL(url);
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
      {rows.length > 0 && !query && (
        <p>
          <button type="button" class="secondary small" onClick={() => void exportMine()}>
            Export
          </button>{' '}
          <button type="button" class="danger small" onClick={() => void forgetAll()}>
            Forget everything
          </button>
        </p>
      )}
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
              <button type="button" class="secondary small" onClick={() => void showWhy(m)}>
                Why?
              </button>
              <button type="button" class="secondary small" onClick={() => void showHistory(m)}>
                History
              </button>
              <button type="button" class="danger small" onClick={() => void remove(m)}>
                Delete
              </button>
            </div>
            {why?.id === m.id && (
              <ul class="why" aria-label="Where it came from">
                {why.lines.map((line) => (
                  <li key={line}>{line}</li>
                ))}
              </ul>
            )}
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
