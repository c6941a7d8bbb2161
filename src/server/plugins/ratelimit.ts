import type { FastifyRequest, FastifyReply } from 'fastify';
import type { HearthApp } from '../../core/index.js';
import { AppError } from '../../core/index.js';
import type { RateDecision, RateLimiter } from '../../core/index.js';

/** What the armour needs of the limiter: consuming, and peeking at failed-credential counts. */
export type ArmourLimiter = RateLimiter & { peek(budget: string, key: string): Promise<RateDecision> };

/** The limited part of the URL space: the APIs and the metrics. The web app's files never are. */
const LIMITED = /^\/(api|v1)(\/|$)|^\/metrics$/i;
const PROBE_ROUTES = new Set(['/api/health', '/api/auth/session']);

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set on limited requests: whether it has been charged to an anonymous budget yet (at most once).
     * A request decoration (null until set) rather than a WeakMap entry per request, which the
     * garbage collector has to trace as an ephemeron.
     */
    rateCharge: { done: boolean } | null;
  }
}

/** The path as the router saw it, percent-decoded; undefined when it does not decode. */
function decodedPath(url: string): string | undefined {
  const q = url.indexOf('?');
  const target = q < 0 ? url : url.slice(0, q);
  try {
    return decodeURIComponent(target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, ''));
  } catch {
    return undefined;
  }
}

/**
 * Limited by the route that matched (its pattern, after the router decoded the path), never by
 * the raw URL: `/%61pi/keys` reaches `/api/keys` and is limited as such. Wildcard routes (the web
 * app's catch-all, the CORS preflight) and unmatched paths are judged by the decoded path.
 */
function isLimited(request: FastifyRequest): boolean {
  const route = request.routeOptions.url;
  if (route !== undefined && LIMITED.test(route)) return true;
  if (route !== undefined && !route.includes('*')) return false;
  const path = decodedPath(request.url);
  return path === undefined || LIMITED.test(path);
}

function presentsCredential(request: FastifyRequest): boolean {
  const h = request.headers;
  return h.authorization !== undefined || h['x-api-key'] !== undefined || (h.cookie ?? '').includes('__Host-hearth=');
}

function anonymousBudget(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  const read = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
  // Unknown API paths, and API-looking paths only a wildcard route answers, are probes.
  if (route === undefined || !LIMITED.test(route) || (read && PROBE_ROUTES.has(route))) return 'anon.probe';
  return read ? 'anon.read' : 'anon.write';
}

function apply(reply: FastifyReply, d: RateDecision): void {
  const resetSeconds = Math.ceil(d.retryAfterMs / 1000);
  void reply.header('ratelimit-limit', String(d.limit));
  void reply.header('ratelimit-remaining', String(d.remaining));
  void reply.header('ratelimit-reset', String(resetSeconds));
  if (!d.allowed) {
    throw new AppError('RATE_LIMITED', 'Rate limit exceeded', undefined, {
      headers: { 'retry-after': String(Math.max(1, resetSeconds)) },
    });
  }
}

/**
 * HTTP-3: anonymous callers are limited per IP before anything else runs (onRequest);
 * signed-in callers per person after their credential is verified (preHandler), with budgets
 * large enough never to hinder real use. A credential that does not verify makes its caller
 * anonymous: it is charged to the IP's anonymous budget and to `auth.fail`, so neither garbage
 * headers nor guessed keys skip the limits. request.ip honours only HEARTH_TRUSTED_PROXIES.
 */
export function registerRateLimits(app: HearthApp, limiter: ArmourLimiter): void {
  app.decorateRequest('rateCharge', null);
  const chargeUnverified = async (request: FastifyRequest) => {
    const [failures, anonymous] = await Promise.all([
      limiter.consume('auth.fail', request.ip),
      limiter.consume(anonymousBudget(request), request.ip),
    ]);
    return failures.allowed ? anonymous : failures;
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isLimited(request)) return;
    const state = { done: false };
    request.rateCharge = state;
    // A credential is charged once checked (preValidation or onResponse) unless the route is
    // unknown, where nothing ever checks it.
    if (presentsCredential(request) && request.routeOptions.config?.policy !== undefined) {
      const failures = await limiter.peek('auth.fail', request.ip);
      if (!failures.allowed) apply(reply, failures);
      return;
    }
    state.done = true;
    apply(reply, await limiter.consume(anonymousBudget(request), request.ip));
  });
  // Registered after the policy check (src/server/app.ts), so it sees whether the credential verified.
  app.addHook('preValidation', async (request, reply) => {
    const state = request.rateCharge;
    if (!state || state.done || request.principal || request.routeOptions.config.policy?.access === 'service') return;
    // A public route: the policy resolved the caller and found no valid credential.
    state.done = true;
    apply(reply, await chargeUnverified(request));
  });
  app.addHook('onResponse', async (request, reply) => {
    const state = request.rateCharge;
    // Signed and service routes answer an invalid credential with 401 before this hook's siblings run.
    if (!state || state.done || reply.statusCode !== 401) return;
    state.done = true;
    await chargeUnverified(request).catch(() => undefined);
  });
  app.addHook('preHandler', async (request, reply) => {
    const principal = request.principal;
    if (!principal || !request.rateCharge) return;
    const policy = request.routeOptions.config.policy;
    const read = request.method === 'GET' || request.method === 'HEAD';
    const budget = policy?.access === 'signed' && policy.scope === 'chat' && !read ? 'user.chat' : read ? 'user.read' : 'user.write';
    apply(reply, await limiter.consume(budget, principal.userId));
  });
}
