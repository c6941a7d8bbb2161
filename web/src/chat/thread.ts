import { useRef, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { streamMessage } from '../sse.js';

/** What a reply cost and took (the server's MessageMeta). */
export interface ReplyMeta {
  model?: string;
  tokens?: number;
  latencyMs?: number;
}

export interface ChatMessage {
  /** The stored message's id, or `local-…` until the server names it. */
  id: string;
  role: 'user' | 'assistant';
  text: string;
  /** `greeting`: the familiar's greeting, shown but not stored. */
  state?: 'streaming' | 'stopped' | 'failed' | 'refused' | 'greeting';
  error?: string;
  createdAt?: number;
  meta?: ReplyMeta | null;
  /** While streaming: what the familiar is doing (a tool, waiting for an approval). */
  activity?: string;
  /** For a failed reply: sends the person's message again (the same text, without storing it twice). */
  retry?: () => void;
}

interface StoredMessage {
  id: string;
  role: 'user' | 'assistant';
  content: string;
  status: string;
  createdAt: number;
  meta?: ReplyMeta | null;
}

/** How many messages one history request brings (older ones load on scrolling up). */
const PAGE_SIZE = 30;

let localIds = 0;
const localId = () => `local-${++localIds}`;
export const isStored = (m: ChatMessage) => !m.id.startsWith('local-') && m.state !== 'greeting';

function fromStored(m: StoredMessage): ChatMessage {
  const state = m.status === 'stopped' ? 'stopped' : m.status === 'refused' ? 'refused' : m.status === 'failed' ? 'failed' : undefined;
  return { id: m.id, role: m.role, text: m.content, createdAt: m.createdAt, meta: m.meta ?? null, ...(state ? { state } : {}) };
}

const TOOL_ACTIVITY: Record<string, (name: string) => string> = {
  started: (n) => `Using ${n}…`,
  waiting_approval: (n) => `Waiting for approval to run ${n}…`,
  done: () => 'Thinking…',
  failed: (n) => `${n} failed; thinking…`,
};

export interface Thread {
  messages: ChatMessage[];
  streaming: boolean;
  /** An older page exists on the server. */
  hasOlder: boolean;
  loadingOlder: boolean;
  error: string | null;
  setError(e: string | null): void;
  /** Shows a conversation: its newest page, or (`fresh`, just created) only `intro`, its greeting. */
  open(id: string | null, intro?: ChatMessage[], fresh?: boolean): Promise<void>;
  loadOlder(): Promise<void>;
  /** Sends `text`; `replaceFrom` (one of the person's stored messages) replaces it and everything after (edit, regenerate). */
  send(conversationId: string, text: string, replaceFrom?: string): Promise<void>;
  stop(): void;
  regenerate(conversationId: string): void;
  remove(conversationId: string, message: ChatMessage): Promise<void>;
}

/** The open conversation's messages, paging, streaming and edits (the state behind the chat page). */
export function useThread(options: { onTitle: (conversationId: string, title: string) => void; onTurnEnd: () => void }): Thread {
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [streaming, setStreaming] = useState(false);
  const [nextBefore, setNextBefore] = useState<string | null>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const current = useRef<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  // The latest list, for callbacks started from an older render (retry, regenerate).
  const latest = useRef<ChatMessage[]>([]);
  const commit = (update: (ms: ChatMessage[]) => ChatMessage[]) =>
    setMessages((ms) => {
      const next = update(ms);
      latest.current = next;
      return next;
    });

  const page = async (id: string, before?: string) => {
    const query = `limit=${PAGE_SIZE}${before ? `&before=${encodeURIComponent(before)}` : ''}`;
    return api<{ messages: StoredMessage[]; nextBefore: string | null }>(
      'GET',
      `/api/conversations/${encodeURIComponent(id)}/messages?${query}`,
    );
  };

  const thread: Thread = {
    messages,
    streaming,
    hasOlder: nextBefore !== null,
    loadingOlder,
    error,
    setError,
    async open(id, intro = [], fresh = false) {
      current.current = id;
      setError(null);
      setNextBefore(null);
      commit(() => intro);
      if (!id || fresh) return;
      try {
        const r = await page(id);
        if (current.current !== id) return;
        setNextBefore(r.nextBefore);
        commit(() => r.messages.map(fromStored));
      } catch (err) {
        if (current.current === id) setError(messageOf(err));
      }
    },
    async loadOlder() {
      const id = current.current;
      if (!id || !nextBefore || loadingOlder) return;
      setLoadingOlder(true);
      try {
        const r = await page(id, nextBefore);
        if (current.current !== id) return;
        setNextBefore(r.nextBefore);
        commit((ms) => [...r.messages.map(fromStored).filter((m) => !ms.some((x) => x.id === m.id)), ...ms]);
      } catch (err) {
        setError(messageOf(err));
      } finally {
        setLoadingOlder(false);
      }
    },
    async send(conversationId, text, replaceFrom) {
      if (!text.trim() || abort.current) return;
      setError(null);
      const person: ChatMessage = { id: localId(), role: 'user', text, createdAt: Date.now() };
      const reply: ChatMessage = { id: localId(), role: 'assistant', text: '', state: 'streaming', activity: 'Thinking…' };
      commit((ms) => {
        const cut = replaceFrom ? ms.findIndex((m) => m.id === replaceFrom) : -1;
        return [...(cut >= 0 ? ms.slice(0, cut) : ms.filter((m) => m.state !== 'failed' || isStored(m))), person, reply];
      });
      const patch = (id: string, p: Partial<ChatMessage>) => commit((ms) => ms.map((m) => (m.id === id ? { ...m, ...p } : m)));
      const controller = new AbortController();
      abort.current = controller;
      setStreaming(true);
      let personId: string | null = null;
      let replyId = reply.id;
      let acc = '';
      // Once the server stored the person's message, Retry sends it again in its place; before, it is simply sent again.
      const retry = () => {
        commit((ms) => ms.filter((m) => m.id !== replyId && (personId || m.id !== person.id)));
        void thread.send(conversationId, text, personId ?? undefined);
      };
      try {
        for await (const ev of await streamMessage(conversationId, { text, ...(replaceFrom ? { replaceFrom } : {}) }, controller.signal)) {
          if (ev.type === 'start' && ev.messageId) {
            personId = ev.messageId;
            patch(person.id, { id: ev.messageId });
          } else if (ev.type === 'delta') patch(replyId, { text: (acc += ev.text), activity: undefined });
          else if (ev.type === 'tool') patch(replyId, { activity: (TOOL_ACTIVITY[ev.status] ?? TOOL_ACTIVITY.started!)(ev.name) });
          else if (ev.type === 'done') {
            const r = ev.reply ?? {};
            const stored = r.messageId && r.messageId !== personId ? r.messageId : replyId;
            patch(replyId, {
              id: stored,
              text: r.text ?? acc,
              state: r.screened?.action === 'refuse' ? 'refused' : undefined,
              activity: undefined,
              createdAt: Date.now(),
              meta: r.meta ?? null,
            });
            replyId = stored;
          } else if (ev.type === 'error')
            patch(replyId, { state: 'failed', error: ev.message || 'The familiar could not answer.', activity: undefined, retry });
          else if (ev.type === 'title' && ev.title) options.onTitle(conversationId, ev.title);
        }
        commit((ms) => ms.map((m) => (m.id === replyId && m.state === 'streaming' ? { ...m, state: undefined, activity: undefined } : m)));
      } catch (err) {
        if (controller.signal.aborted) {
          patch(replyId, { state: 'stopped', activity: undefined });
          void adoptStopped(conversationId, replyId);
        } else patch(replyId, { state: 'failed', error: messageOf(err), activity: undefined, retry });
      } finally {
        abort.current = null;
        setStreaming(false);
        options.onTurnEnd();
      }
    },
    stop() {
      abort.current?.abort();
    },
    regenerate(conversationId) {
      const ms = latest.current;
      const lastUser = [...ms].reverse().find((m) => m.role === 'user' && isStored(m));
      if (lastUser) void thread.send(conversationId, lastUser.text, lastUser.id);
    },
    async remove(conversationId, message) {
      setError(null);
      try {
        if (isStored(message))
          await api('DELETE', `/api/conversations/${encodeURIComponent(conversationId)}/messages/${encodeURIComponent(message.id)}`);
        commit((ms) => ms.filter((m) => m.id !== message.id));
      } catch (err) {
        setError(messageOf(err));
      }
    },
  };

  /** The server stores a stopped reply once it notices the closed stream; its id is read back so it can be deleted or regenerated. */
  async function adoptStopped(conversationId: string, localReplyId: string): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      await new Promise((r) => setTimeout(r, 150 * (attempt + 1)));
      if (current.current !== conversationId) return;
      const r = await page(conversationId).catch(() => null);
      const last = r?.messages.at(-1);
      if (last && last.role === 'assistant' && last.status === 'stopped') {
        commit((ms) => ms.map((m) => (m.id === localReplyId ? fromStored(last) : m)));
        return;
      }
    }
  }

  return thread;
}
