import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { looksLikeCredential, runWithLogContext } from '../logging/index.js';

const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;
/**
 * One id per request, even when the router meets it twice (src/server/early-failure.ts): kept on
 * the raw request under a symbol (cheaper than a WeakMap entry per request, which the GC traces as an ephemeron).
 */
const ASSIGNED = Symbol('hearth.requestId');
type Assignable = IncomingMessage & { [ASSIGNED]?: string };

/**
 * Accepts the caller's X-Request-ID when well formed and not shaped like a credential (HTTP-4):
 * the id is echoed and logged on every line, so a key sent there by mistake (or on purpose) is
 * replaced by a new UUID instead of reaching the logs. UUIDs and short readable ids are kept.
 */
export function requestIdFrom(req: IncomingMessage): string {
  const known = (req as Assignable)[ASSIGNED];
  if (known) return known;
  const header = req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  const id = value !== undefined && WELL_FORMED.test(value) && !looksLikeCredential(value) ? value : randomUUID();
  (req as Assignable)[ASSIGNED] = id;
  return id;
}

/**
 * Hooks that run the rest of a request inside its log context, so every line logged while it is
 * handled (by any service, through any logger derived from the server's) carries its request id.
 * Entered on the first onRequest hook, and again on preValidation: Fastify resumes after the body
 * is read from the socket's events, outside the context the first hook entered.
 */
export function requestLogContext(logger: Parameters<typeof runWithLogContext>[0]) {
  const run = (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) =>
    runWithLogContext(logger, { requestId: request.id }, () => done());
  return { onRequest: run, preValidation: run };
}
