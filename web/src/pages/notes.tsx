import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { renderMarkdown } from '../markdown.js';
import { Field, Notice, NotYet, Page, useResource } from '../ui.js';

interface Familiar { id: string; name: string }
interface NoteEntry { path: string; size?: number }

/** A familiar's notes (MEM-1): list, open, edit and save files; preview through the sanitizer. */
export function NotesPage(): JSX.Element {
  const familiars = useResource<unknown>('/api/familiars');
  const list = listOf<Familiar>(familiars.data);
  const [familiarId, setFamiliarId] = useState('');
  useEffect(() => {
    if (!familiarId && list[0]) setFamiliarId(list[0].id);
  }, [list.length]);
  const base = familiarId ? `/api/familiars/${encodeURIComponent(familiarId)}/notes` : null;
  const notes = useResource<unknown>(base);
  const [path, setPath] = useState('');
  const [content, setContent] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [info, setInfo] = useState<string | null>(null);

  const open = async (p: string) => {
    if (!base) return;
    try {
      const r = await api<{ content?: string } | string>('GET', `${base}/${p.split('/').map(encodeURIComponent).join('/')}`);
      setPath(p);
      setContent(typeof r === 'string' ? r : r.content ?? '');
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    if (!base) return;
    try {
      await api('PUT', `${base}/${path.split('/').map(encodeURIComponent).join('/')}`, { content });
      setInfo(`Saved ${path}.`);
      notes.reload();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  if (notes.missing || familiars.missing) return <Page title="Notes"><NotYet what="Notes arrive with the memory work; this server does not offer them yet." /></Page>;
  return (
    <Page title="Notes">
      <div class="field">
        <label for="notes-familiar">Familiar</label>
        <select id="notes-familiar" value={familiarId} onChange={(e) => setFamiliarId((e.currentTarget as HTMLSelectElement).value)}>
          {list.map((f) => <option key={f.id} value={f.id}>{f.name}</option>)}
        </select>
      </div>
      <ul class="files">
        {listOf<NoteEntry>(notes.data).map((n) => (
          <li key={n.path}><button type="button" class="link" onClick={() => void open(n.path)}>{n.path}</button></li>
        ))}
      </ul>
      <form onSubmit={save}>
        <Field label="File" name="note-path" value={path} onInput={setPath} placeholder="journal/today.md" required />
        <Field label="Content" name="note-content" value={content} onInput={setContent} multiline max={262144} />
        <Notice error={error} info={info} />
        <button type="submit" disabled={!path}>Save note</button>
      </form>
      <h2>Preview</h2>
      <div class="md preview" dangerouslySetInnerHTML={{ __html: renderMarkdown(content) }} />
    </Page>
  );
}
