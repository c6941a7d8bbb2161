import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCOPES, type Scope } from '../../src/core/index.js';
import {
  checkPublicList,
  createProbeSession,
  httpTransport,
  liveVariants,
  plainRequest,
  routesFromDocument,
  walkRoutes,
  type CatalogueRoute,
  type ProbeSession,
  type WalkVariant,
} from '../../src/security/probes/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';

const SERVICE_KEY = 's'.repeat(40);

/**
 * The walk is `hearth security audit --live`'s own (src/security/probes): the same routes, the
 * same variants, the same verdicts, over real HTTP on loopback, plus the credentials only a test
 * can make (a member key, keys each lacking one scope).
 */
describe('AUTH-7: every registered route refuses missing and insufficient credentials', () => {
  let t: TestHearth;
  let memberKey: string;
  const scopedKeys = new Map<Scope, string>();
  let transport: ReturnType<typeof httpTransport>;
  let session: ProbeSession;
  let routes: CatalogueRoute[];

  beforeAll(async () => {
    t = await startTestHearth({
      env: {
        HEARTH_SERVICE_KEY: SERVICE_KEY,
        HEARTH_RATE_ANON_PROBES: '100000',
        HEARTH_RATE_ANON_READS: '100000',
        HEARTH_RATE_ANON_WRITES: '100000',
      },
    });
    memberKey = (await userWithKey(t, 'walker', 'member', ['read', 'write', 'chat'])).key;
    const owner = await userWithKey(t, 'boss', 'owner', ['read']);
    for (const scope of SCOPES) {
      const others = SCOPES.filter((s) => s !== scope);
      scopedKeys.set(scope, (await t.hearth.identity.createApiKey({ userId: owner.user.id, scopes: others })).key);
    }
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const base = new URL(`http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`);
    transport = httpTransport({ base });
    session = createProbeSession({ base, transport });
    routes = t.app.hearthRoutes.map((r) => ({ method: r.method, url: r.url, policy: (r.policy as CatalogueRoute['policy']) ?? null }));
  });
  afterAll(async () => {
    transport?.close();
    await t?.close();
  });

  it('the published document lists every registered route with its policy, and only the reviewed list is public', async () => {
    const doc = JSON.parse((await transport({ method: 'GET', path: '/api/openapi.json' })).body) as unknown;
    const documented = new Map(routesFromDocument(doc).map((r) => [`${r.method} ${r.url}`, r.policy]));
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      expect(r.policy, `${r.method} ${r.url} declares a policy`).not.toBeNull();
      expect(documented.get(`${r.method} ${r.url}`), `${r.method} ${r.url} in the document`).toEqual(r.policy);
    }
    checkPublicList(session, routes, '/api/openapi.json');
    expect(session.findings()).toEqual([]);
  });

  it('walks the routes: without credentials 401, a user key on a service route 401, under role or scope 403', async () => {
    const below = (r: CatalogueRoute) => r.policy?.access === 'signed' && r.policy.role !== 'member';
    const variants: WalkVariant[] = [
      { name: 'anonymous', request: (r, p) => plainRequest(r, p) },
      {
        name: 'user key on a service route',
        request: (r, p) => (r.policy?.access === 'service' ? plainRequest(r, p, { 'x-api-key': memberKey }) : undefined),
      },
      { name: 'member', request: (r, p) => (below(r) ? plainRequest(r, p, { 'x-api-key': memberKey }) : undefined) },
      {
        name: 'lacking scope',
        request: (r, p) =>
          r.policy?.access === 'signed' ? plainRequest(r, p, { 'x-api-key': scopedKeys.get(r.policy.scope)! }) : undefined,
      },
    ];
    const results = await walkRoutes(session, routes, variants);
    const expected: Record<string, number> = { anonymous: 401, 'user key on a service route': 401, member: 403, 'lacking scope': 403 };
    for (const r of results) expect(r.response?.status, `${r.route.method} ${r.route.url} ${r.variant}`).toBe(expected[r.variant]);
    expect(results.filter((r) => r.variant === 'lacking scope').length).toBeGreaterThan(5);
    expect(session.findings()).toEqual([]);
  });

  it("the audit's own variants (forged identity headers, a key in the URL, encoded and case-varied paths) are all refused", async () => {
    const { key } = await userWithKey(t, 'auditor', 'member', ['read', 'write', 'chat']);
    // A case-varied GET is not an API path, so the web app's page answers it: public by design.
    const webAppPage = (await transport({ method: 'GET', path: '/' })).body;
    const results = await walkRoutes(session, routes, liveVariants({ apiKey: key, apiKeyRole: 'member' }), { webAppPage });
    expect(results.length).toBeGreaterThan(routes.length * 3);
    expect(results.filter((r) => r.verdict !== 'refused').map((r) => `${r.route.method} ${r.route.url} ${r.variant}`)).toEqual([]);
    expect(session.findings()).toEqual([]);
  });

  it('HTTP-7: observability and metrics need the service key', async () => {
    for (const path of ['/api/observability', '/metrics']) {
      expect((await t.app.inject({ method: 'GET', url: path })).statusCode).toBe(401);
      expect((await t.app.inject({ method: 'GET', url: path, headers: { 'x-api-key': 'wrong'.repeat(10) } })).statusCode).toBe(401);
      const ok = await t.app.inject({ method: 'GET', url: path, headers: { 'x-api-key': SERVICE_KEY } });
      expect(ok.statusCode).toBe(200);
    }
    const obs = (await t.app.inject({ method: 'GET', url: '/api/observability', headers: { 'x-api-key': SERVICE_KEY } })).json() as {
      routes: Array<{ route: string; count: number; successRate: number; p99Ms: number }>;
    };
    expect(obs.routes.find((r) => r.route === 'GET /api/keys')).toMatchObject({
      count: expect.any(Number),
      successRate: expect.any(Number),
    });
    const metrics = await t.app.inject({ method: 'GET', url: '/metrics', headers: { 'x-api-key': SERVICE_KEY } });
    expect(metrics.body).toContain('hearth_http_requests_total');
  });

  it('OpenAPI lists every route with its policy', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/openapi.json' })).json() as {
      paths: Record<string, Record<string, { 'x-hearth-policy': unknown }>>;
    };
    expect(doc.paths['/api/keys']?.post?.['x-hearth-policy']).toEqual({ access: 'signed', role: 'member', scope: 'write' });
    expect(Object.keys(doc.paths).length).toBeGreaterThan(5);
  });
});

describe('HTTP-7 without HEARTH_SERVICE_KEY', () => {
  it('answers 503 for observability and metrics', async () => {
    const t = await startTestHearth();
    try {
      for (const path of ['/api/observability', '/metrics'])
        expect((await t.app.inject({ method: 'GET', url: path, headers: { 'x-api-key': SERVICE_KEY } })).statusCode).toBe(503);
    } finally {
      await t.close();
    }
  });
});
