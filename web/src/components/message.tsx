import type { JSX } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { renderMarkdown } from '../markdown.js';
import { isStored, type ChatMessage } from '../chat/thread.js';
import { Avatar } from './avatar.js';

export type { ChatMessage } from '../chat/thread.js';

/** Seconds since `active` became true, ticking once a second (progress for anything over a second). */
function useElapsed(active: boolean): number {
  const [seconds, setSeconds] = useState(0);
  useEffect(() => {
    setSeconds(0);
    if (!active) return;
    const started = Date.now();
    const timer = setInterval(() => setSeconds(Math.floor((Date.now() - started) / 1000)), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return seconds;
}

/** Adds a Copy button to every code block of rendered markdown (the sanitized HTML itself holds no buttons). */
function useCopyButtons(container: { current: HTMLElement | null }, html: string): void {
  useEffect(() => {
    const root = container.current;
    if (!root) return;
    for (const pre of root.querySelectorAll('pre')) {
      if (pre.parentElement?.classList.contains('codeblock')) continue;
      const wrap = document.createElement('div');
      wrap.className = 'codeblock';
      pre.replaceWith(wrap);
      wrap.append(pre);
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary small copy';
      button.textContent = 'Copy code';
      button.addEventListener('click', () => {
        void navigator.clipboard?.writeText(pre.textContent ?? '').then(
          () => {
            button.textContent = 'Copied';
            setTimeout(() => (button.textContent = 'Copy code'), 1500);
          },
          () => (button.textContent = 'Copy failed'),
        );
      });
      wrap.prepend(button);
    }
  }, [html]);
}

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const dayFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

function Time(props: { at: number | undefined }): JSX.Element | null {
  if (!props.at) return null;
  const d = new Date(props.at);
  const today = new Date().toDateString() === d.toDateString();
  return (
    <time dateTime={d.toISOString()} title={dayFormat.format(d)}>
      {today ? timeFormat.format(d) : dayFormat.format(d)}
    </time>
  );
}

export interface BubbleActions {
  /** Sends the edited text in place of this message (later turns are replaced). */
  onEdit?: (text: string) => void;
  onDelete?: () => void;
  onRegenerate?: () => void;
}

/** One message: the person's text as plain text, the familiar's as sanitized markdown; time, name, actions, details on demand. */
export function MessageBubble(
  props: { message: ChatMessage; familiarName: string; familiarAvatar?: string | undefined; busy?: boolean } & BubbleActions,
): JSX.Element {
  const { message, busy } = props;
  const html = useMemo(() => (message.role === 'assistant' ? renderMarkdown(message.text) : ''), [message.role, message.text]);
  const md = useRef<HTMLDivElement>(null);
  useCopyButtons(md, html);
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(message.text);
  const streaming = message.state === 'streaming';
  const elapsed = useElapsed(streaming);
  const who = message.role === 'user' ? 'You' : props.familiarName;
  const stored = isStored(message);
  const meta = message.meta;

  const save = (e: Event) => {
    e.preventDefault();
    if (!draft.trim()) return;
    setEditing(false);
    props.onEdit?.(draft);
  };

  return (
    <li
      class={`bubble ${message.role}`}
      data-role={message.role}
      data-state={message.state ?? 'done'}
      data-id={stored ? message.id : undefined}
    >
      <div class="byline">
        {message.role === 'assistant' && <Avatar name={props.familiarName} src={props.familiarAvatar} />}
        <span class="who">{who}</span>
        <Time at={message.createdAt} />
      </div>
      <span class="sr-only">{message.role === 'user' ? 'You said:' : `${props.familiarName} replied:`}</span>
      {editing ? (
        <form class="edit" onSubmit={save}>
          <label class="sr-only" for={`edit-${message.id}`}>
            Edit your message
          </label>
          <textarea
            id={`edit-${message.id}`}
            rows={3}
            value={draft}
            onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)}
            onKeyDown={(e) => e.key === 'Escape' && setEditing(false)}
          />
          <div class="actions">
            <button type="submit" class="small" disabled={!draft.trim()}>
              Save and send
            </button>
            <button type="button" class="secondary small" onClick={() => setEditing(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : message.role === 'assistant' ? (
        <div class="md" ref={md} dangerouslySetInnerHTML={{ __html: html }} />
      ) : (
        <div class="plain">{message.text}</div>
      )}
      {streaming && (
        <p class="activity" role="status">
          <span class="dots" aria-hidden="true" />
          {message.activity ?? `${props.familiarName} is writing…`}
          {elapsed >= 1 && <span class="elapsed"> {elapsed} s</span>}
        </p>
      )}
      {message.state === 'stopped' && <p class="meta">{message.text ? 'Stopped.' : 'Stopped before replying.'}</p>}
      {message.state === 'refused' && <p class="meta">Not answered: the message was flagged by the prompt-injection screen.</p>}
      {message.error && (
        <p class="meta error" role="alert">
          {message.error}{' '}
          {message.retry && (
            <button type="button" class="secondary small" onClick={message.retry} disabled={busy}>
              Retry
            </button>
          )}
        </p>
      )}
      {!streaming && !editing && (
        <div class="bubble-actions">
          {message.role === 'user' && stored && props.onEdit && (
            <button type="button" class="link small" disabled={busy} onClick={() => (setDraft(message.text), setEditing(true))}>
              Edit
            </button>
          )}
          {props.onRegenerate && (
            <button type="button" class="link small" disabled={busy} onClick={props.onRegenerate}>
              Regenerate
            </button>
          )}
          {stored && props.onDelete && (
            <button type="button" class="link small" disabled={busy} onClick={props.onDelete}>
              Delete
            </button>
          )}
          {message.role === 'assistant' && meta && (meta.model || meta.tokens !== undefined || meta.latencyMs !== undefined) && (
            <details class="details">
              <summary>Details</summary>
              <dl>
                {meta.model && (
                  <>
                    <dt>Model</dt>
                    <dd>{meta.model}</dd>
                  </>
                )}
                {meta.tokens !== undefined && (
                  <>
                    <dt>Tokens</dt>
                    <dd>{meta.tokens.toLocaleString('en')}</dd>
                  </>
                )}
                {meta.latencyMs !== undefined && (
                  <>
                    <dt>Time</dt>
                    <dd>{(meta.latencyMs / 1000).toFixed(1)} s</dd>
                  </>
                )}
              </dl>
            </details>
          )}
        </div>
      )}
    </li>
  );
}
