import type { FastifyReply, FastifyRequest } from 'fastify';

/** One Server-Sent Events response; the 200 goes out with the first frame, not before. */
export interface SseWriter {
  /** Aborted when the client goes away before the stream ended. */
  readonly signal: AbortSignal;
  /** Whether the 200 went out; after that, errors can only be reported inside the stream. */
  readonly started: boolean;
  /** One frame: `event:` when named, then `data:`; strings go as they are (`[DONE]`), the rest as JSON. */
  send(data: unknown, event?: string): void;
}

/**
 * Streams `work`'s frames as SSE. Opening lazily lets an error thrown before the first frame
 * reach the normal error handler (a 4xx with its code); once streaming, the work reports its own
 * errors in-stream, so they are not rethrown.
 */
export async function streamSse(
  request: FastifyRequest,
  reply: FastifyReply,
  work: (sse: SseWriter) => Promise<void>,
): Promise<FastifyReply> {
  const controller = new AbortController();
  // The response's 'close' (not the request's: that one fires once the body is read, before any
  // listener here) tells a client that went away, so the turn and its provider request are aborted.
  reply.raw.on('close', () => {
    if (!reply.raw.writableEnded) controller.abort();
  });
  let started = false;
  const open = () => {
    if (started) return;
    started = true;
    reply.hijack();
    // Hijacked replies skip Fastify's send, so the headers hooks set (security, CORS) are copied here.
    reply.raw.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-request-id': request.id,
    });
  };
  // Frames sent in one go (a provider chunk holding several deltas, `done` after the last delta) leave
  // in one write, at the end of the current tick: one chunk and one syscall rather than one per frame.
  let pending = '';
  const flush = () => {
    if (!pending) return;
    const text = pending;
    pending = '';
    if (!reply.raw.destroyed && !reply.raw.writableEnded) reply.raw.write(text);
  };
  const sse: SseWriter = {
    signal: controller.signal,
    get started() {
      return started;
    },
    send(data, event) {
      open();
      const text = typeof data === 'string' ? data : JSON.stringify(data);
      const lines = text.includes('\n')
        ? text
            .split('\n')
            .map((l) => `data: ${l}\n`)
            .join('')
        : `data: ${text}\n`;
      if (!pending) process.nextTick(flush);
      pending += `${event ? `event: ${event}\n` : ''}${lines}\n`;
    },
  };
  try {
    await work(sse);
  } catch (err) {
    if (!started) throw err;
  }
  open();
  flush();
  reply.raw.end();
  return reply;
}
