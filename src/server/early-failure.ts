import type { IncomingMessage } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { LogController } from 'fastify';
import type { HearthApp } from '../core/index.js';
import { handleError } from './error-handler.js';

/**
 * Failures the router meets before any hook runs (a malformed percent-encoding, a path parameter
 * beyond the router's limit) would get Fastify's bare answer: no security headers, no request id,
 * no log line. Instead the request is routed again to an unknown API path (so the anonymous probe
 * budget applies) and answered by a hook after the armour, through the one error handler (HTTP-1, 4, 5).
 */
const failed = new WeakMap<IncomingMessage, { error: FastifyError; url: string | undefined }>();
const REROUTED = '/api/.unroutable';

/** Fastify's `frameworkErrors` option: records the error and routes the request again. */
export function rerouteFrameworkError(app: () => HearthApp) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const raw = request.raw;
    if (failed.has(raw)) {
      // The second routing failed as well (it cannot: REROUTED is a plain path); answer here.
      handleError(error, request, reply);
      return;
    }
    failed.set(raw, { error, url: raw.url });
    raw.url = REROUTED;
    app().routing(raw, reply.raw);
  };
}

/** An onRequest hook registered after the armour: a rerouted request fails with its original error. */
export async function failRerouted(request: FastifyRequest): Promise<void> {
  const early = failed.get(request.raw);
  if (!early) return;
  // The limits have seen the rerouted path; the log's completion line shows the original.
  if (early.url !== undefined) request.raw.url = early.url;
  throw early.error;
}

/** Logs each request's arrival once: the first routing logged it, with its original URL. */
export class HearthLogController extends LogController {
  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    if (failed.has(request.raw)) return;
    super.incomingRequest(request, reply);
  }
}
