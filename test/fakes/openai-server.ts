/**
 * A fake OpenAI-compatible server on loopback for tests and benchmarks. It speaks the real wire
 * protocol (`POST /v1/chat/completions` as JSON or SSE chunks, `GET /v1/models`,
 * `POST /v1/embeddings`), so the real openai SDK can be pointed at it.
 *
 * Script what the model does per call with `script` (a queue, then `fallback`):
 *   - `{ text: 'hello' }`                     stream/return this reply
 *   - `{ toolCalls: [{ name, arguments }] }`  ask for tools (arguments: JSON text)
 *   - `{ status: 500 }` / `{ status: 429 }`   fail with this HTTP status
 *   - `{ text, breakAfter: 2 }`               stream 2 chunks, then destroy the socket
 *   - `{ text, delayMs: 5000 }`               wait before answering (timeouts)
 *   - `{ text, chunkDelayMs: 50 }`            wait between chunks
 *   - `{ text, usage: { prompt, completion } }` report this usage (default 10 + 5); `usage: null` reports none
 *   - `{ text, finishReason: 'length' }`      finish with this reason (default stop, or tool_calls)
 * `route(body)` answers some calls by what they ask (a system prompt's words), before the queue.
 * Every received request body is kept in `requests` (assert what the model was shown), with the
 * output limit it asked for (`maxTokens`). With `maxOutputTokens`, a request asking for more is refused
 * with 400 as real providers refuse it.
 * `disconnects` counts chat calls whose client closed the connection before the answer ended
 * (an aborted request), and the fake stops streaming to them.
 *
 *   const fake = await startFakeOpenAI({ fallback: { text: 'hi' } });
 *   // base URL: fake.url  (e.g. http://127.0.0.1:PORT/v1)
 *   await fake.close();
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeToolCall {
  readonly name: string;
  readonly arguments: string;
}

export interface FakeStep {
  readonly text?: string;
  readonly toolCalls?: readonly FakeToolCall[];
  readonly status?: number;
  readonly breakAfter?: number;
  readonly delayMs?: number;
  readonly chunkDelayMs?: number;
  /** Usage reported for this call; null: none (as servers that ignore stream_options). */
  readonly usage?: { prompt: number; completion: number } | null;
  readonly finishReason?: string;
}

export interface FakeRequest {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Record<string, unknown>;
  /** The output limit the request asked for (`max_completion_tokens`, else `max_tokens`). */
  readonly maxTokens: number | undefined;
}

export interface FakeOpenAI {
  /** Base URL including /v1. */
  readonly url: string;
  readonly requests: FakeRequest[];
  /** Steps consumed one per chat call, before `fallback`. */
  readonly script: FakeStep[];
  fallback: FakeStep;
  /** Answers a chat call by its body before the script does (undefined: the script decides). */
  route: ((body: Record<string, unknown>) => FakeStep | undefined) | undefined;
  /** Model ids listed by GET /v1/models. */
  models: string[];
  /** Chat calls the client closed before the answer ended. */
  readonly disconnects: number;
  close(): Promise<void>;
}

export interface FakeOptions {
  readonly script?: FakeStep[];
  readonly fallback?: FakeStep;
  readonly models?: string[];
  /** Required bearer key; requests without it get 401. */
  readonly apiKey?: string;
  /** The model's output cap: a chat request asking for more `max_tokens` is refused (400), as OpenAI and others do. */
  readonly maxOutputTokens?: number;
  /** Do not record requests (benchmarks). */
  readonly record?: boolean;
  /** Close each connection after its response, so every call opens its own (per-turn CPU accounting in bench/turn.ts). */
  readonly closeConnections?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function chunksOf(text: string): string[] {
  const parts = text.match(/\S+\s*|\s+/g) ?? [];
  return parts.length ? parts : [''];
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const raw = Buffer.concat(chunks).toString('utf8');
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

function maxTokensOf(body: Record<string, unknown>): number | undefined {
  const v = body.max_completion_tokens ?? body.max_tokens;
  return typeof v === 'number' ? v : undefined;
}

/** Starts the fake on 127.0.0.1 (port 0). */
export async function startFakeOpenAI(options: FakeOptions = {}): Promise<FakeOpenAI> {
  const requests: FakeRequest[] = [];
  let counter = 0;
  const fake: FakeOpenAI = {
    url: '',
    requests,
    script: [...(options.script ?? [])],
    fallback: options.fallback ?? { text: 'Hello from the fake model.' },
    route: undefined,
    models: options.models ?? ['fake-model'],
    disconnects: 0,
    close: async () => undefined,
  };

  async function chat(req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>): Promise<void> {
    const asked = maxTokensOf(body);
    if (options.maxOutputTokens !== undefined && asked !== undefined && asked > options.maxOutputTokens) {
      res.writeHead(400, { 'content-type': 'application/json' });
      const message = `max_tokens is too large: ${asked}. This model supports at most ${options.maxOutputTokens} completion tokens.`;
      res.end(JSON.stringify({ error: { message, type: 'invalid_request_error', param: 'max_tokens', code: 'invalid_value' } }));
      return;
    }
    const step = fake.route?.(body) ?? fake.script.shift() ?? fake.fallback;
    let gone = false;
    res.on('close', () => {
      if (res.writableEnded) return;
      gone = true;
      (fake as { disconnects: number }).disconnects++;
    });
    if (step.delayMs) await sleep(step.delayMs);
    if (step.status) {
      res.writeHead(step.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake error ${step.status}`, type: 'server_error' } }));
      return;
    }
    const id = `chatcmpl-fake${++counter}`;
    const model = String(body.model ?? 'fake-model');
    const usage =
      step.usage === null
        ? undefined
        : {
            prompt_tokens: step.usage?.prompt ?? 10,
            completion_tokens: step.usage?.completion ?? 5,
            total_tokens: (step.usage?.prompt ?? 10) + (step.usage?.completion ?? 5),
          };
    const toolCalls = (step.toolCalls ?? []).map((c, i) => ({
      id: `call_${counter}_${i}`,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));
    const text = step.text ?? '';
    const finish = step.finishReason ?? (toolCalls.length ? 'tool_calls' : 'stop');
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created: 1,
          model,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: text || null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
              finish_reason: finish,
            },
          ],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (choice: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [choice], ...extra })}\n\n`);
    send({ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null });
    let sent = 0;
    for (const part of text ? chunksOf(text) : []) {
      if (step.breakAfter !== undefined && sent >= step.breakAfter) {
        res.socket?.destroy();
        return;
      }
      if (step.chunkDelayMs) await sleep(step.chunkDelayMs);
      if (gone) return;
      send({ index: 0, delta: { content: part }, finish_reason: null });
      sent++;
    }
    if (step.breakAfter !== undefined) {
      res.socket?.destroy();
      return;
    }
    toolCalls.forEach((c, i) =>
      send({
        index: 0,
        delta: {
          tool_calls: [{ index: i, id: c.id, type: 'function', function: { name: c.function.name, arguments: c.function.arguments } }],
        },
        finish_reason: null,
      }),
    );
    send({ index: 0, delta: {}, finish_reason: finish });
    if (usage && (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage)
      res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1, model, choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  const server: Server = createServer((req, res) => {
    if (options.closeConnections) res.shouldKeepAlive = false;
    void (async () => {
      const path = (req.url ?? '').split('?')[0] ?? '';
      if (options.apiKey && req.headers.authorization !== `Bearer ${options.apiKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'bad key', type: 'invalid_request_error' } }));
        return;
      }
      const body = req.method === 'POST' ? await readBody(req) : {};
      if (options.record !== false) requests.push({ path, headers: req.headers, body, maxTokens: maxTokensOf(body) });
      if (req.method === 'GET' && path === '/v1/models') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ object: 'list', data: fake.models.map((id) => ({ id, object: 'model', created: 1, owned_by: 'fake' })) }));
      } else if (req.method === 'POST' && path === '/v1/chat/completions') await chat(req, res, body);
      else if (req.method === 'POST' && path === '/v1/embeddings') {
        const input = Array.isArray(body.input) ? (body.input as string[]) : [String(body.input)];
        const dims = Number(body.dimensions ?? 8);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            object: 'list',
            model: body.model,
            data: input.map((t, index) => ({
              object: 'embedding',
              index,
              embedding: Array.from({ length: dims }, (_, d) => ((t.length + d * 31) % 97) / 97),
            })),
            usage: { prompt_tokens: 1, total_tokens: 1 },
          }),
        );
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found' } }));
      }
    })().catch(() => res.socket?.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  Object.assign(fake, {
    url: `http://127.0.0.1:${port}/v1`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return fake;
}
