/**
 * A small loopback HTTP server imitating Hearth's public surface (an OpenAPI document with
 * `x-hearth-policy`, security headers, JSON errors, per-IP limits, a signed webhook), for the
 * live security audit's tests. Each flaw switches on one thing Hearth itself never allows, so a
 * test can check that exactly the matching finding fires:
 *   - `admin-open`:      GET /api/users (admin only) answers 200 without credentials
 *   - `no-headers`:      no security headers on any response
 *   - `stack-trace`:     error answers carry a Node stack trace
 *   - `no-rate-limit`:   the limiter never answers 429
 *   - `webhook-replay`:  the webhook accepts the same signed delivery twice
 *
 *   const fake = await startHearthImitation({ flaws: ['admin-open'], webhookSecret: 'whsec_…' });
 *   // fake.url = http://127.0.0.1:PORT
 *   await fake.close();
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type ImitationFlaw = 'admin-open' | 'no-headers' | 'stack-trace' | 'no-rate-limit' | 'webhook-replay';

export interface HearthImitation {
  readonly url: string;
  /** Requests received, method and raw path. */
  readonly requests: string[];
  close(): Promise<void>;
}

const HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'none';frame-ancestors 'none';form-action 'self'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
};

const ROUTES: Record<string, Record<string, unknown>> = {
  '/api/health': { get: { access: 'public', why: 'liveness probe' } },
  '/api/openapi.json': { get: { access: 'public', why: 'API description' } },
  '/api/auth/login': { post: { access: 'public', why: 'login' } },
  '/api/webhooks/{name}': { post: { access: 'public', why: 'signed webhook' } },
  '/api/users': { get: { access: 'signed', role: 'admin', scope: 'read' }, post: { access: 'signed', role: 'admin', scope: 'admin' } },
  '/api/users/{id}': { delete: { access: 'signed', role: 'admin', scope: 'admin' } },
  '/api/keys': { get: { access: 'signed', role: 'member', scope: 'read' } },
  '/metrics': { get: { access: 'service' } },
};

const STACK = `Error: boom\n    at handle (/srv/imitation/server.js:41:11)\n    at Server.emit (node:events:519:28)`;
/** The imitation's anonymous budget at /api/health, per window (like Hearth's anon.probe). */
const HEALTH_LIMIT = 40;

export async function startHearthImitation(
  options: { flaws?: readonly ImitationFlaw[]; webhookSecret?: string; serviceKey?: string } = {},
): Promise<HearthImitation> {
  const flaws = new Set(options.flaws ?? []);
  const requests: string[] = [];
  const seen = new Set<string>();
  let healthCount = 0;

  const send = (res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, {
      ...(flaws.has('no-headers') ? {} : HEADERS),
      'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
      'x-request-id': randomUUID(),
      ...extra,
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, code: string, message: string, extra: Record<string, string> = {}) =>
    send(res, status, { error: message, code, requestId: randomUUID(), ...(flaws.has('stack-trace') ? { stack: STACK } : {}) }, extra);

  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const raw = req.url ?? '/';
    requests.push(`${req.method} ${raw}`);
    const [rawPath = '/', query = ''] = raw.split('?');
    let path: string;
    try {
      path = decodeURIComponent(rawPath);
    } catch {
      return fail(res, 400, 'BAD_REQUEST', 'Malformed request');
    }
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/api/health') {
      healthCount++;
      const left = Math.max(0, HEALTH_LIMIT - healthCount);
      const limits = { 'ratelimit-limit': String(HEALTH_LIMIT), 'ratelimit-remaining': String(left) };
      if (!flaws.has('no-rate-limit') && healthCount > HEALTH_LIMIT)
        return fail(res, 429, 'RATE_LIMITED', 'Rate limit exceeded', { ...limits, 'retry-after': '60' });
      return send(res, 200, { status: 'ok' }, flaws.has('no-rate-limit') ? {} : limits);
    }
    if (method === 'GET' && path === '/api/openapi.json') {
      const paths = Object.fromEntries(
        Object.entries(ROUTES).map(([p, ops]) => [
          p,
          Object.fromEntries(Object.entries(ops).map(([m, policy]) => [m, { 'x-hearth-policy': policy }])),
        ]),
      );
      return send(res, 200, { openapi: '3.1.0', info: { title: 'Imitation', version: '0' }, paths });
    }
    if (method === 'OPTIONS') return send(res, 204, '');
    if (method === 'POST' && path === '/api/auth/login') {
      try {
        JSON.parse(body);
      } catch {
        return fail(res, 400, 'BAD_REQUEST', 'Malformed request');
      }
      return fail(res, 401, 'UNAUTHENTICATED', 'Invalid name or password');
    }
    const hook = /^\/api\/webhooks\/([a-z0-9_-]+)$/.exec(path);
    if (method === 'POST' && hook) {
      if (hook[1] !== 'invalidate' || !options.webhookSecret) return fail(res, 404, 'NOT_FOUND', 'Not found');
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(req.headers['hearth-signature'] ?? ''));
      if (!m) return fail(res, 401, 'UNAUTHENTICATED', 'Invalid or missing Hearth-Signature');
      if (Math.abs(Date.now() / 1000 - Number(m[1])) > 300)
        return fail(res, 401, 'UNAUTHENTICATED', 'Signature timestamp outside the window');
      const expected = createHmac('sha256', options.webhookSecret).update(`${m[1]}.${body}`).digest();
      if (!timingSafeEqual(expected, Buffer.from(m[2]!, 'hex'))) return fail(res, 401, 'UNAUTHENTICATED', 'Invalid Hearth-Signature');
      if (seen.has(m[2]!) && !flaws.has('webhook-replay')) return fail(res, 409, 'CONFLICT', 'Webhook delivery already processed (replay)');
      seen.add(m[2]!);
      return send(res, 200, { ok: true, invalidated: 0 });
    }
    if (/(^|&)(api_?key|key|token)=|hth_/i.test(query))
      return fail(res, 400, 'BAD_REQUEST', 'Credentials are not accepted in the URL; use the Authorization or X-Api-Key header');
    if (method === 'GET' && path === '/metrics') {
      if (!options.serviceKey) return fail(res, 503, 'UNAVAILABLE', 'Not configured: set HEARTH_SERVICE_KEY');
      if (req.headers['x-api-key'] !== options.serviceKey) return fail(res, 401, 'UNAUTHENTICATED', 'Invalid service key');
      return send(res, 200, { metrics: true });
    }
    const signed =
      (method === 'GET' && (path === '/api/users' || path === '/api/keys')) ||
      (method === 'POST' && path === '/api/users') ||
      (method === 'DELETE' && /^\/api\/users\/[^/]+$/.test(path));
    if (signed) {
      if (flaws.has('admin-open') && method === 'GET' && path === '/api/users')
        return send(res, 200, { users: [{ name: 'owner', role: 'owner' }] });
      return fail(res, 401, 'UNAUTHENTICATED', 'Authentication required');
    }
    return fail(res, 404, 'NOT_FOUND', 'Not found');
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
