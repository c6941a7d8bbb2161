import type { JSX } from 'preact';
import { useMemo } from 'preact/hooks';
import { renderMarkdown } from '../markdown.js';

export interface ChatMessage {
  id: string;
  role: 'user' | 'assistant' | 'system';
  text: string;
  state?: 'streaming' | 'stopped' | 'failed';
  error?: string;
}

/** One bubble: the person's text shown as plain text, the familiar's as sanitized markdown. */
export function MessageBubble(props: { message: ChatMessage; onRetry?: () => void }): JSX.Element {
  const { message } = props;
  const html = useMemo(() => (message.role === 'assistant' ? renderMarkdown(message.text) : ''), [message.role, message.text]);
  return (
    <li class={`bubble ${message.role}`} data-role={message.role} data-state={message.state ?? 'done'}>
      <span class="sr-only">{message.role === 'user' ? 'You said:' : 'Reply:'}</span>
      {message.role === 'assistant' ? (
        <div class="md" dangerouslySetInnerHTML={{ __html: html }} />
      ) : (
        <div class="plain">{message.text}</div>
      )}
      {message.state === 'stopped' && <p class="meta">Stopped.</p>}
      {message.error && (
        <p class="meta error" role="alert">
          {message.error}{' '}
          {props.onRetry && (
            <button type="button" class="secondary small" onClick={props.onRetry}>
              Retry
            </button>
          )}
        </p>
      )}
    </li>
  );
}
