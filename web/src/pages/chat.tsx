import type { JSX } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { streamMessage } from '../sse.js';
import type { Me } from '../session.js';
import { MessageBubble, type ChatMessage } from '../components/message.js';
import { Notice, Page, useResource, when } from '../ui.js';

interface Familiar {
  id: string;
  name: string;
}
interface Conversation {
  id: string;
  title?: string | null;
  familiarId?: string;
  updatedAt?: number;
  createdAt?: number;
}
interface StoredMessage {
  id: string;
  role: ChatMessage['role'];
  content?: string;
  text?: string;
}

let localIds = 0;
const localId = () => `local-${++localIds}`;

/** Web chat (CH-1): pick a familiar and a conversation, send, watch the reply stream in. */
export function ChatPage(_props: { me: Me }): JSX.Element {
  const familiars = useResource<unknown>('/api/familiars');
  const list = listOf<Familiar>(familiars.data);
  const [familiarId, setFamiliarId] = useState('');
  const conversations = useResource<unknown>('/api/conversations?limit=100');
  const [conversationId, setConversationIdState] = useState<string | null>(null);
  // A ref too, so a retry started from an older render still sends into the same conversation.
  const conversationRef = useRef<string | null>(null);
  const setConversationId = (id: string | null) => {
    conversationRef.current = id;
    setConversationIdState(id);
  };
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [streaming, setStreaming] = useState(false);
  const abort = useRef<AbortController | null>(null);
  const logRef = useRef<HTMLOListElement>(null);

  useEffect(() => {
    if (!familiarId && list[0]) setFamiliarId(list[0].id);
  }, [list.length]);

  useEffect(() => {
    logRef.current?.lastElementChild?.scrollIntoView({ block: 'end' });
  }, [messages]);

  const openConversation = async (id: string) => {
    setConversationId(id);
    setError(null);
    try {
      const stored = listOf<StoredMessage>(await api('GET', `/api/conversations/${encodeURIComponent(id)}/messages`));
      setMessages(stored.filter((m) => m.role !== 'system').map((m) => ({ id: m.id, role: m.role, text: m.content ?? m.text ?? '' })));
    } catch (err) {
      setMessages([]);
      setError(messageOf(err));
    }
  };

  const newConversation = async (keep?: ChatMessage[]): Promise<string> => {
    const created = await api<{ id: string; greeting?: string | null }>('POST', '/api/conversations', { familiarId });
    const id = created.id;
    setConversationId(id);
    setMessages([...(created.greeting ? [{ id: localId(), role: 'assistant' as const, text: created.greeting }] : []), ...(keep ?? [])]);
    conversations.reload();
    return id;
  };

  const send = async (text: string, replaceId?: string) => {
    if (!text.trim() || streaming || !familiarId) return;
    setError(null);
    const userMsg: ChatMessage = { id: localId(), role: 'user', text };
    const reply: ChatMessage = { id: localId(), role: 'assistant', text: '', state: 'streaming' };
    const fresh = !conversationRef.current;
    setMessages((ms) => [...ms.filter((m) => m.id !== replaceId), ...(replaceId ? [] : [userMsg]), reply]);
    const update = (patch: Partial<ChatMessage>) => setMessages((ms) => ms.map((m) => (m.id === reply.id ? { ...m, ...patch } : m)));
    const controller = new AbortController();
    abort.current = controller;
    setStreaming(true);
    let acc = '';
    const retry = () => void send(text, reply.id);
    try {
      const id = conversationRef.current ?? (await newConversation(fresh ? [userMsg, reply] : undefined));
      for await (const ev of await streamMessage(id, text, controller.signal)) {
        if (ev.type === 'delta') update({ text: (acc += ev.text) });
        else if (ev.type === 'done') update({ text: ev.reply?.text ?? acc, state: undefined });
        else if (ev.type === 'error') {
          update({ state: 'failed', error: ev.message || 'The familiar could not answer.' });
          failedRetry.current = retry;
        }
      }
      setMessages((ms) => ms.map((m) => (m.id === reply.id && m.state === 'streaming' ? { ...m, state: undefined } : m)));
    } catch (err) {
      if (controller.signal.aborted) update({ state: 'stopped' });
      else {
        update({ state: 'failed', error: messageOf(err) });
        failedRetry.current = retry;
      }
    } finally {
      setStreaming(false);
      abort.current = null;
      conversations.reload();
    }
  };
  const failedRetry = useRef<(() => void) | null>(null);

  const submit = (e: Event) => {
    e.preventDefault();
    const text = draft;
    setDraft('');
    void send(text);
  };

  const convs = listOf<Conversation>(conversations.data).filter((c) => !c.familiarId || c.familiarId === familiarId);
  return (
    <Page title="Chat">
      {familiars.missing && <Notice info="Familiars arrive with the turn work; this server does not offer them yet." />}
      <div class="chat">
        <aside class="conversations" aria-label="Conversations">
          <div class="field">
            <label for="familiar">Familiar</label>
            <select
              id="familiar"
              value={familiarId}
              onChange={(e) => (setFamiliarId((e.currentTarget as HTMLSelectElement).value), setConversationId(null), setMessages([]))}
            >
              {list.length === 0 && <option value="">No familiars yet</option>}
              {list.map((f) => (
                <option key={f.id} value={f.id}>
                  {f.name}
                </option>
              ))}
            </select>
          </div>
          <button
            type="button"
            class="secondary"
            disabled={!familiarId || streaming}
            onClick={() => void newConversation().catch((e: unknown) => setError(messageOf(e)))}
          >
            New conversation
          </button>
          <ul>
            {convs.map((c) => (
              <li key={c.id}>
                <button
                  type="button"
                  class="link"
                  aria-current={c.id === conversationId ? 'true' : undefined}
                  onClick={() => void openConversation(c.id)}
                >
                  {c.title || 'Conversation'} <small>{when(c.updatedAt ?? c.createdAt)}</small>
                </button>
              </li>
            ))}
          </ul>
        </aside>
        <div class="thread">
          <ol class="messages" ref={logRef} aria-live="polite" aria-label="Messages">
            {messages.map((m) => (
              <MessageBubble key={m.id} message={m} onRetry={m.state === 'failed' ? () => failedRetry.current?.() : undefined} />
            ))}
          </ol>
          <Notice error={error} />
          <form class="composer" onSubmit={submit}>
            <label for="message" class="sr-only">
              Message
            </label>
            <textarea
              id="message"
              rows={2}
              value={draft}
              placeholder="Write a message…"
              maxLength={32000}
              onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey) submit(e);
              }}
            />
            {streaming ? (
              <button type="button" class="danger" onClick={() => abort.current?.abort()}>
                Stop
              </button>
            ) : (
              <button type="submit" disabled={!familiarId || !draft.trim()}>
                Send
              </button>
            )}
          </form>
        </div>
      </div>
    </Page>
  );
}
