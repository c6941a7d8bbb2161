import type { JSX } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { api, listOf, messageOf } from '../api.js';
import { isAdmin, type Me } from '../session.js';
import { Link, navigate, usePath } from '../router.js';
import { MessageBubble } from '../components/message.js';
import { avatarUrl } from '../components/avatar.js';
import { expandMacros } from '../macros.js';
import { ApprovalCards } from '../components/approval-card.js';
import { ConversationList, type ConversationSummary } from '../components/conversation-list.js';
import { isStored, useThread, type ChatMessage } from '../chat/thread.js';
import { Notice, Page, useResource } from '../ui.js';
import { VoiceButton } from '../components/voice-button.js';
import { HandsFreeToggle } from '../components/hands-free.js';

interface Familiar {
  id: string;
  name: string;
  greeting?: string | null;
  avatarHash?: string | null;
}

/** The conversation a `/chat/<id>` address names. */
const conversationOf = (path: string) => (path.startsWith('/chat/') ? decodeURIComponent(path.slice(6)) || null : null);

/** Within this many pixels of the bottom, new text keeps the newest message in view. */
const STICK_PX = 80;

/** Web chat (CH-1): conversations by link, a thread that pages back on scrolling up, streamed replies with Stop, edits. */
export function ChatPage(props: { me: Me }): JSX.Element {
  const path = usePath();
  const conversationId = conversationOf(path);
  const familiars = useResource<unknown>('/api/familiars');
  const list = listOf<Familiar>(familiars.data);
  const [familiarId, setFamiliarId] = useState('');
  const [query, setQuery] = useState('');
  const [search, setSearch] = useState('');
  const conversations = useResource<unknown>(`/api/conversations?limit=100${search ? `&q=${encodeURIComponent(search)}` : ''}`);
  const convs = listOf<ConversationSummary>(conversations.data);
  const [draft, setDraft] = useState('');
  const [listOpen, setListOpen] = useState(false);
  const thread = useThread({ onTitle: () => conversations.reload(), onTurnEnd: () => conversations.reload() });
  // A conversation this page just created and already shows (its greeting is local, not read back).
  const created = useRef<string | null>(null);
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const anchor = useRef<number | null>(null);
  const composer = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    const t = setTimeout(() => setSearch(query.trim()), 250);
    return () => clearTimeout(t);
  }, [query]);

  useEffect(() => {
    if (!familiarId && !conversationId && list[0]) setFamiliarId(list[0].id);
  }, [list.length, conversationId]);

  // Opening a conversation (a click or a deep link): its familiar becomes the chosen one.
  useEffect(() => {
    stick.current = true;
    setListOpen(false);
    if (!conversationId) {
      void thread.open(null);
      return;
    }
    if (created.current === conversationId) {
      created.current = null;
      return;
    }
    void thread.open(conversationId);
    api<ConversationSummary>('GET', `/api/conversations/${encodeURIComponent(conversationId)}`).then(
      (c) => c.familiarId && setFamiliarId(c.familiarId),
      (err: unknown) => thread.setError(messageOf(err)),
    );
  }, [conversationId]);

  // Newest in view while the person is at the bottom; an older page keeps what they were reading in place.
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (anchor.current !== null) {
      el.scrollTop = el.scrollHeight - anchor.current;
      anchor.current = null;
    } else if (stick.current) el.scrollTop = el.scrollHeight;
  }, [thread.messages]);

  // Content that grows after rendering (code blocks getting their Copy button, a streamed reply) keeps the bottom in view too.
  useEffect(() => {
    const el = scroller.current;
    const list = el?.querySelector('ol.messages');
    if (!el || !list || typeof ResizeObserver === 'undefined') return;
    const observer = new ResizeObserver(() => {
      if (stick.current && anchor.current === null) el.scrollTop = el.scrollHeight;
    });
    observer.observe(list);
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < STICK_PX;
    if (el.scrollTop < 200 && thread.hasOlder && !thread.loadingOlder) loadOlder();
  };
  const loadOlder = () => {
    const el = scroller.current;
    if (el) anchor.current = el.scrollHeight - el.scrollTop;
    void thread.loadOlder().finally(() => {
      // Nothing was prepended (an error): forget the anchor.
      if (anchor.current !== null) anchor.current = null;
    });
  };

  const familiarName = (id: string | undefined) => list.find((f) => f.id === id)?.name ?? 'Familiar';
  const current = convs.find((c) => c.id === conversationId);
  const name = familiarName(current?.familiarId ?? familiarId);
  const picture = avatarUrl(list.find((f) => f.id === (current?.familiarId ?? familiarId)));

  const newConversation = async (): Promise<string> => {
    const c = await api<{ id: string; greeting?: string | null }>('POST', '/api/conversations', { familiarId });
    // {{char}} and {{user}} in the greeting are shown with the names (display only: the greeting is not stored).
    const greeting = c.greeting ? expandMacros(c.greeting, { char: name, user: props.me.name }) : '';
    const intro: ChatMessage[] = greeting ? [{ id: `greeting-${c.id}`, role: 'assistant', text: greeting, state: 'greeting' }] : [];
    created.current = c.id;
    void thread.open(c.id, intro, true);
    navigate(`/chat/${encodeURIComponent(c.id)}`);
    conversations.reload();
    return c.id;
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    const text = draft;
    if (!text.trim() || thread.streaming || !familiarId) return;
    setDraft('');
    stick.current = true;
    try {
      const id = conversationId ?? (await newConversation());
      await thread.send(id, text);
    } catch (err) {
      thread.setError(messageOf(err));
      setDraft(text);
    }
  };

  const removeConversation = async (c: ConversationSummary) => {
    if (!window.confirm(`Delete the conversation “${c.title || 'New conversation'}” and everything kept of it, for good?`)) return;
    try {
      await api('DELETE', `/api/conversations/${encodeURIComponent(c.id)}`);
      if (c.id === conversationId) navigate('/chat');
      conversations.reload();
    } catch (err) {
      thread.setError(messageOf(err));
    }
  };
  const rename = async (c: ConversationSummary, title: string) => {
    try {
      await api('PATCH', `/api/conversations/${encodeURIComponent(c.id)}`, { title });
      conversations.reload();
    } catch (err) {
      thread.setError(messageOf(err));
    }
  };
  const removeMessage = (m: ChatMessage) => {
    if (conversationId && window.confirm('Delete this message for good?')) void thread.remove(conversationId, m);
  };

  const messages = thread.messages;
  const last = messages.at(-1);
  const canRegenerate =
    !!last &&
    last.role === 'assistant' &&
    last.state !== 'failed' &&
    last.state !== 'greeting' &&
    messages.some((m) => m.role === 'user' && isStored(m));

  return (
    <Page title="Chat">
      {familiars.missing && <Notice info="Familiars arrive with the turn work; this server does not offer them yet." />}
      <div class="chat">
        <button
          type="button"
          class="secondary list-toggle"
          aria-expanded={listOpen ? 'true' : 'false'}
          aria-controls="conversations"
          onClick={() => setListOpen(!listOpen)}
        >
          Conversations
        </button>
        <aside class={listOpen ? 'conversations open' : 'conversations'} id="conversations" aria-label="Conversations">
          <div class="field">
            <label for="familiar">Familiar</label>
            <select
              id="familiar"
              value={familiarId}
              onChange={(e) => {
                setFamiliarId((e.currentTarget as HTMLSelectElement).value);
                if (conversationId) navigate('/chat');
              }}
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
            disabled={!familiarId || thread.streaming}
            onClick={() => void newConversation().catch((e: unknown) => thread.setError(messageOf(e)))}
          >
            New conversation
          </button>
          <ConversationList
            conversations={convs}
            currentId={conversationId}
            query={query}
            onQuery={setQuery}
            onRename={(c, t) => void rename(c, t)}
            onDelete={(c) => void removeConversation(c)}
            familiarName={familiarName}
          />
        </aside>
        <div class="thread">
          <h2 class="thread-title">{current?.title || (conversationId ? 'New conversation' : `New conversation with ${name}`)}</h2>
          <div class="scroller" ref={scroller} onScroll={onScroll} tabIndex={0} aria-label="Message history">
            {thread.hasOlder && (
              <p class="older">
                <button type="button" class="secondary small" disabled={thread.loadingOlder} onClick={loadOlder}>
                  {thread.loadingOlder ? 'Loading older messages…' : 'Load older messages'}
                </button>
              </p>
            )}
            {messages.length === 0 && (
              <div class="empty">
                {list.length === 0 ? (
                  <p>
                    No familiar to chat with yet.{' '}
                    {isAdmin(props.me) ? <Link href="/familiars">Create one on the Familiars page.</Link> : 'Ask an admin to create one.'}
                  </p>
                ) : (
                  <p>Say hello to {name}.</p>
                )}
              </div>
            )}
            <ol class="messages" aria-label="Messages">
              {messages.map((m) => (
                <MessageBubble
                  key={m.id}
                  message={m}
                  familiarName={name}
                  familiarAvatar={picture}
                  busy={thread.streaming}
                  onEdit={conversationId ? (text) => void thread.send(conversationId, text, m.id) : undefined}
                  onDelete={() => removeMessage(m)}
                  onRegenerate={m === last && canRegenerate && conversationId ? () => thread.regenerate(conversationId) : undefined}
                />
              ))}
            </ol>
          </div>
          <ApprovalCards conversationId={conversationId} me={props.me} />
          <Notice error={thread.error} />
          <form class="composer" onSubmit={submit}>
            <label for="message" class="sr-only">
              Message
            </label>
            <textarea
              id="message"
              ref={composer}
              rows={2}
              value={draft}
              placeholder={`Message ${name}…`}
              maxLength={10000}
              onInput={(e) => setDraft((e.currentTarget as HTMLTextAreaElement).value)}
              onKeyDown={(e) => {
                if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) void submit(e);
              }}
            />
            <VoiceButton
              disabled={!familiarId || thread.streaming}
              familiarName={name}
              conversation={() => (conversationId ? Promise.resolve(conversationId) : newConversation())}
              onTurnEnd={(id) => void thread.open(id).then(() => conversations.reload())}
            />
            <HandsFreeToggle
              disabled={!familiarId}
              familiarName={name}
              conversation={() => (conversationId ? Promise.resolve(conversationId) : newConversation())}
              onTurnEnd={(id) => void thread.open(id).then(() => conversations.reload())}
            />
            {thread.streaming ? (
              <button type="button" class="danger" onClick={() => thread.stop()}>
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
