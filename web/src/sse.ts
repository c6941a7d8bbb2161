import { errorFrom, writeHeaders } from './api.js';
import type { ReplyMeta } from './chat/thread.js';

/** One event of a streamed reply (mirrors TurnEvent on the server). */
export type StreamEvent =
  | { type: 'start'; conversationId?: string; messageId?: string }
  | { type: 'delta'; text: string }
  | { type: 'tool'; name: string; status: string }
  | { type: 'done'; reply?: { text?: string; messageId?: string; meta?: ReplyMeta; screened?: { action?: string } } }
  | { type: 'error'; code: string; message: string }
  | { type: 'title'; title: string };

/** Parses a text/event-stream body into events; accepts `event:` names or a `type` in the data. */
async function* readEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) name = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      const raw = data.join('\n');
      if (raw === '[DONE]') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(raw);
      } catch {
        continue;
      }
      const obj = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
      const type = typeof obj.type === 'string' ? obj.type : name;
      yield { ...obj, type } as StreamEvent;
    }
  }
}

/** Sends a message and streams the reply (SSE); throws ApiError when the server refuses it. */
export async function streamMessage(
  conversationId: string,
  body: { text: string; replaceFrom?: string },
  signal: AbortSignal,
): Promise<AsyncGenerator<StreamEvent>> {
  const response = await fetch(`/api/conversations/${encodeURIComponent(conversationId)}/messages`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: writeHeaders({ accept: 'text/event-stream', 'content-type': 'application/json' }),
    body: JSON.stringify(body),
    signal,
  });
  if (!response.ok || !response.body) throw await errorFrom(response);
  return readEvents(response.body);
}
