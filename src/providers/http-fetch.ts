import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

/** Statuses whose Response must have no body (the Fetch standard's null body statuses). */
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** Decoders for what a server may send compressed even unasked (we ask for identity). */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

/** A fetch for the openai SDK: `fetch` as it uses it, over node:http(s) with kept-alive sockets. */
type ProviderFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The SDK's transport, one per provider client. The global fetch (undici) costs ~1 ms of CPU per
 * streamed model call in its own machinery (measured by bench/chat.ts, issue #17); node:http
 * does the same request for a fraction. What the SDK relies on is kept: its abort signal (its
 * timeout and the caller's) cancels the request and the body, a connection failure rejects, the
 * Response is a standard one. Redirects are not followed: a provider answering 3xx is rejected
 * like any other non-2xx, so a redirect can never take the request past the provider-URL policy
 * (LLM-5) to a host it did not check. Bodies the SDK does not send for chat, models and
 * embeddings (streams, forms) go through the global fetch.
 */
export function createProviderFetch(): ProviderFetch & { close(): void } {
  // Idle kept-alive sockets are unref'd by the agent: they never hold the process open.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  const providerFetch = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = init.body;
    if (input instanceof Request || (body != null && typeof body !== 'string' && !(body instanceof Uint8Array))) return fetch(input, init);
    const url = new URL(input);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return fetch(input, init);
    const headers: OutgoingHttpHeaders = {};
    new Headers(init.headers).forEach((value, name) => {
      headers[name] = value;
    });
    headers['accept-encoding'] = 'identity';
    if (body != null) headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    const signal = init.signal ?? undefined;
    return new Promise<Response>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortError(signal));
        return;
      }
      const https = url.protocol === 'https:';
      const req = (https ? httpsRequest : httpRequest)(
        url,
        { method: init.method ?? 'GET', headers, agent: https ? agents.https : agents.http, ...(signal ? { signal } : {}) },
        (res) => resolve(toResponse(res, req.destroy.bind(req))),
      );
      req.once('error', (err) => reject(signal?.aborted ? abortError(signal) : err));
      req.end(body ?? undefined);
    });
  };
  return Object.assign(providerFetch, {
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  });
}

function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });
}

function toResponse(res: IncomingMessage, destroy: () => void): Response {
  const headers = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const status = res.statusCode ?? 502;
  const init = { status, statusText: res.statusMessage ?? '', headers };
  if (NULL_BODY.has(status) || status < 200) {
    res.resume();
    return new Response(null, init);
  }
  const coding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder = DECODERS[coding]?.();
  const source: Readable = decoder ? res.pipe(decoder) : res;
  if (decoder) res.once('error', (err) => decoder.destroy(err));
  // Cancelling the body (the SDK does when a stream is abandoned) ends the request and its socket.
  const stream = Readable.toWeb(source) as ReadableStream<Uint8Array>;
  source.once('close', () => {
    if (!res.complete) destroy();
  });
  return new Response(stream, init);
}
