import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { renderMarkdown } from '../markdown.js';
import { Field, Notice, NotYet, Page, useResource, when } from '../ui.js';

interface Familiar {
  id: string;
  name: string;
}
interface NoteEntry {
  path: string;
  bytes?: number;
  updatedAt?: number;
}

/** A familiar's shared notes (MEM-1): list, open, edit, save, delete; preview through the sanitizer. */
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

  const act = async (fn: () => Promise<void>) => {
    setError(null);
    setInfo(null);
    try {
      await fn();
    } catch (err) {
      setError(messageOf(err));
    }
  };
  const open = (p: string) =>
    act(async () => {
      const r = await api<{ content: string }>('GET', `${base}/content?path=${encodeURIComponent(p)}`);
      setPath(p);
      setContent(r.content);
    });
  const save = (e: Event) => {
    e.preventDefault();
    void act(async () => {
      await api('PUT', `${base}/content`, { path, content });
      setInfo(`Saved ${path}.`);
      notes.reload();
    });
  };
  const remove = () =>
    act(async () => {
      if (!window.confirm(`Delete the note ${path}?`)) return;
      await api('DELETE', `${base}/content?path=${encodeURIComponent(path)}`);
      setInfo(`Deleted ${path}.`);
      setPath('');
      setContent('');
      notes.reload();
    });
  if (notes.missing && !base)
    return (
      <Page title="Notes">
        <NotYet what="Create a familiar first; notes belong to a familiar." />
      </Page>
    );
  return (
    <Page title="Notes">
      <div class="field">
        <label for="notes-familiar">Familiar</label>
        <select id="notes-familiar" value={familiarId} onChange={(e) => setFamiliarId((e.currentTarget as HTMLSelectElement).value)}>
          {list.map((f) => (
            <option key={f.id} value={f.id}>
              {f.name}
            </option>
          ))}
        </select>
      </div>
      <ul class="files">
        {listOf<NoteEntry>(notes.data).map((n) => (
          <li key={n.path}>
            <button type="button" class="link" onClick={() => void open(n.path)}>
              {n.path}
            </button>{' '}
            <small>{when(n.updatedAt)}</small>
          </li>
        ))}
      </ul>
      <form onSubmit={save}>
        <Field label="File" name="note-path" value={path} onInput={setPath} placeholder="journal/today.md" required />
        <Field label="Content" name="note-content" value={content} onInput={setContent} multiline max={262144} />
        <Notice error={error ?? notes.error} info={info} />
        <button type="submit" disabled={!path}>
          Save note
        </button>{' '}
        <button type="button" class="danger" disabled={!path} onClick={() => void remove()}>
          Delete note
        </button>
      </form>
      <h2>Preview</h2>
      <div class="md preview" dangerouslySetInnerHTML={{ __html: renderMarkdown(content) }} />
    </Page>
  );
}
