import helmet from '@fastify/helmet';
import type { HearthApp } from '../../core/index.js';
import { policy } from '../policy.js';

/** HTTP-1's Content-Security-Policy: no unsafe sources, no framing, nothing loaded from elsewhere. */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
  formAction: ["'self'"],
};

const PERMISSIONS_POLICY = 'microphone=(self), camera=(), geolocation=()';
const HSTS = 'max-age=31536000; includeSubDomains';
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
const EXPOSED = [
  'X-Request-ID',
  'Retry-After',
  'RateLimit-Limit',
  'RateLimit-Remaining',
  'RateLimit-Reset',
  // What is left of the caller's budgets (docs/budgets.md), for API clients on an allowed origin.
  ...['Tokens', 'Cost', 'Tool-Calls'].flatMap((d) => ['Limit', 'Remaining', 'Reset'].map((k) => `X-Hearth-Budget-${d}-${k}`)),
  'X-Hearth-Budget-Reset',
  // The stored conversation a /v1 request named (docs/turn.md).
  'X-Hearth-Conversation-Id',
];
const CORS_HEADERS = [
  'Content-Type',
  'Authorization',
  'X-Api-Key',
  'X-CSRF-Token',
  'X-Request-ID',
  'Accept',
  // /v1: naming a stored conversation, and what the official openai client sends from a browser (ignored).
  'X-Hearth-Conversation',
  'OpenAI-Organization',
  'OpenAI-Project',
  ...['Arch', 'Lang', 'OS', 'Package-Version', 'Retry-Count', 'Runtime', 'Runtime-Version', 'Timeout'].map((h) => `X-Stainless-${h}`),
];

/** Security headers on every response (HTTP-1) and CORS from the allowlist (HTTP-2). */
export async function registerHeaders(app: HearthApp, allowedOrigins: readonly string[]): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // HSTS only when the request really came over TLS (direct or from a trusted proxy); see below.
    hsts: false,
    frameguard: { action: 'deny' },
    noSniff: true,
    referrerPolicy: { policy: 'strict-origin-when-cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: false,
    hidePoweredBy: true,
  });
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('permissions-policy', PERMISSIONS_POLICY);
    if (request.protocol === 'https') void reply.header('strict-transport-security', HSTS);
  });
  const any = allowedOrigins.includes('*');
  const list = new Set(allowedOrigins.filter((o) => o !== '*'));
  // CORS by hand: @fastify/cors always adds an `OPTIONS *` route without a policy, which start-up refuses (AUTH-7).
  const allows = (origin: string | undefined): origin is string => origin !== undefined && (any || list.has(origin));
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin;
    void reply.header('vary', 'Origin');
    if (!allows(origin)) return;
    void reply.header('access-control-allow-origin', any ? '*' : origin);
    if (!any) void reply.header('access-control-allow-credentials', 'true');
    void reply.header('access-control-expose-headers', EXPOSED.join(', '));
  });
  app.options('*', { config: { policy: policy.public('CORS preflight') } }, async (request, reply) => {
    const origin = request.headers.origin;
    if (allows(origin)) {
      void reply.header('access-control-allow-methods', CORS_METHODS.join(', '));
      void reply.header('access-control-allow-headers', CORS_HEADERS.join(', '));
      void reply.header('access-control-max-age', '600');
    }
    return reply.status(204).send();
  });
}
