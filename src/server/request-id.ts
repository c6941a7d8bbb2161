import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const WELL_FORMED = /^[A-Za-z0-9._-]{1,128}$/;
/** One id per request, even when the router meets it twice (src/server/early-failure.ts). */
const assigned = new WeakMap<IncomingMessage, string>();

/** Accepts the caller's X-Request-ID when well formed (HTTP-4), otherwise makes a new one. */
export function requestIdFrom(req: IncomingMessage): string {
  const known = assigned.get(req);
  if (known) return known;
  const header = req.headers['x-request-id'];
  const value = Array.isArray(header) ? header[0] : header;
  const id = value !== undefined && WELL_FORMED.test(value) ? value : randomUUID();
  assigned.set(req, id);
  return id;
}
