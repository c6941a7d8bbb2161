import type { JSX } from 'preact';
import { useState } from 'preact/hooks';
import { Link } from '../router.js';

export interface ConversationSummary {
  id: string;
  title?: string | null;
  familiarId?: string;
  updatedAt?: number;
  createdAt?: number;
}

const shortDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'short' });

/** The person's conversations: search, open (a link per conversation), rename, delete. */
export function ConversationList(props: {
  conversations: ConversationSummary[];
  currentId: string | null;
  query: string;
  onQuery: (q: string) => void;
  onRename: (c: ConversationSummary, title: string) => void;
  onDelete: (c: ConversationSummary) => void;
  familiarName: (id: string | undefined) => string;
}): JSX.Element {
  const [renaming, setRenaming] = useState<string | null>(null);
  const [title, setTitle] = useState('');
  return (
    <>
      <div class="field">
        <label for="conversation-search">Search conversations</label>
        <input
          id="conversation-search"
          type="search"
          value={props.query}
          onInput={(e) => props.onQuery((e.currentTarget as HTMLInputElement).value)}
        />
      </div>
      {props.conversations.length === 0 && <p class="meta">{props.query ? 'No conversation matches.' : 'No conversations yet.'}</p>}
      <ul class="conversation-list">
        {props.conversations.map((c) => {
          const name = c.title || 'New conversation';
          const at = c.updatedAt ?? c.createdAt;
          return (
            <li key={c.id} class={c.id === props.currentId ? 'current' : undefined}>
              {renaming === c.id ? (
                <form
                  class="rename"
                  onSubmit={(e) => {
                    e.preventDefault();
                    if (title.trim()) props.onRename(c, title.trim());
                    setRenaming(null);
                  }}
                >
                  <label class="sr-only" for={`rename-${c.id}`}>
                    New title
                  </label>
                  <input
                    id={`rename-${c.id}`}
                    value={title}
                    maxLength={200}
                    onInput={(e) => setTitle((e.currentTarget as HTMLInputElement).value)}
                    onKeyDown={(e) => e.key === 'Escape' && setRenaming(null)}
                  />
                  <button type="submit" class="small">
                    Save
                  </button>
                </form>
              ) : (
                <Link href={`/chat/${encodeURIComponent(c.id)}`} current={c.id === props.currentId} class="conversation-link">
                  <span class="title">{name}</span>
                  <small>
                    {props.familiarName(c.familiarId)}
                    {at ? ` · ${shortDate.format(new Date(at))}` : ''}
                  </small>
                </Link>
              )}
              {renaming !== c.id && (
                <div class="row-actions">
                  <button
                    type="button"
                    class="link small"
                    aria-label={`Rename ${name}`}
                    onClick={() => (setTitle(c.title ?? ''), setRenaming(c.id))}
                  >
                    Rename
                  </button>
                  <button type="button" class="link small" aria-label={`Delete ${name}`} onClick={() => props.onDelete(c)}>
                    Delete
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </>
  );
}
