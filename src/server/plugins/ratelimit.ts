import type { FastifyRequest, FastifyReply } from 'fastify';
import type { RateDecision, RateLimiter } from '../../core/index.js';

/** What the armour needs of the limiter: consuming, and peeking at failed-credential counts. */
export type ArmourLimiter = RateLimiter & { peek(budget: string, key: string): Promise<RateDecision> };
import type { HearthApp } from '../../core/index.js';
import { AppError } from '../../core/index.js';

/** Paths under limits; everything else (the web app's static files) is never limited. */
function isLimitedPath(url: string): boolean {
  return url.startsWith('/api/') || url.startsWith('/v1/') || url === '/metrics' || url.startsWith('/metrics?');
}

const PROBE_ROUTES = new Set(['/api/health', '/api/auth/session']);

function presentsCredential(request: FastifyRequest): boolean {
  const h = request.headers;
  return h.authorization !== undefined || h['x-api-key'] !== undefined || (h.cookie ?? '').includes('__Host-hearth=');
}

function anonymousBudget(request: FastifyRequest): string {
  const route = request.routeOptions.url;
  const read = request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS';
  if (route === undefined || (read && PROBE_ROUTES.has(route))) return 'anon.probe';
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
 * large enough never to hinder real use. request.ip honours only HEARTH_TRUSTED_PROXIES.
 */
export function registerRateLimits(app: HearthApp, limiter: ArmourLimiter): void {
  app.addHook('onRequest', async (request, reply) => {
    if (!isLimitedPath(request.url)) return;
    if (presentsCredential(request)) {
      // Invalid credentials count per IP, so guessing keys or sessions is limited too.
      const failures = await limiter.peek('auth.fail', request.ip);
      if (!failures.allowed) apply(reply, failures);
      return;
    }
    if (request.routeOptions.config?.policy?.access === 'service') return;
    apply(reply, await limiter.consume(anonymousBudget(request), request.ip));
  });
  app.addHook('onResponse', async (request, reply) => {
    if (reply.statusCode === 401 && isLimitedPath(request.url) && presentsCredential(request))
      await limiter.consume('auth.fail', request.ip).catch(() => undefined);
  });
  app.addHook('preHandler', async (request, reply) => {
    const principal = request.principal;
    if (!principal || !isLimitedPath(request.url)) return;
    const policy = request.routeOptions.config.policy;
    const read = request.method === 'GET' || request.method === 'HEAD';
    const budget = policy?.access === 'signed' && policy.scope === 'chat' && !read ? 'user.chat' : read ? 'user.read' : 'user.write';
    apply(reply, await limiter.consume(budget, principal.userId));
  });
}
