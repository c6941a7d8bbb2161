import { afterEach, describe, expect, it } from 'vitest';
import type { InjectOptions } from 'fastify';
import type { HearthApp } from '../../src/core/index.js';
import { createLogger } from '../../src/logging/index.js';
import { createRateLimiter } from '../../src/security/ratelimit/index.js';
import { createServer, policy } from '../../src/server/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';

const BOGUS_KEY = `hth_${'A'.repeat(49)}`;

/** Status codes of `times` identical requests, sent one after another. */
async function statuses(app: HearthApp, times: number, request: InjectOptions): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < times; i++) out.push((await app.inject(request)).statusCode);
  return out;
}
const count = (codes: number[], code: number) => codes.filter((c) => c === code).length;

describe('HTTP-3 rate limits cannot be skipped (issue #15)', () => {
  const open: TestHearth[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });
  const start = async (env: Record<string, string> = {}) => {
    const t = await startTestHearth({ env });
    open.push(t);
    return t;
  };

  it('#15.1 an unverified credential counts against the anonymous budget of its IP', async () => {
    const t = await start();
    const codes = await statuses(t.app, 80, { method: 'GET', url: '/api/auth/session', headers: { authorization: 'Bearer bogus' } });
    expect(count(codes, 200)).toBe(60); // anon.probe: 60/min
    expect(count(codes, 429)).toBe(20);
    // It is the same budget: the IP's plain anonymous calls are spent too; another IP's are not.
    expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(429);
    expect((await t.app.inject({ method: 'GET', url: '/api/health', remoteAddress: '192.0.2.7' })).statusCode).toBe(200);
    // Garbage in X-Api-Key or an unknown session cookie is no better.
    for (const headers of [{ 'x-api-key': 'garbage' }, { 'x-api-key': BOGUS_KEY }, { cookie: '__Host-hearth=garbage' }]) {
      const other = await statuses(t.app, 62, { method: 'GET', url: '/api/auth/session', headers, remoteAddress: '198.51.100.9' });
      expect(count(other, 429), JSON.stringify(headers)).toBeGreaterThan(0);
      await t.hearth.rateLimiter.reset('anon.probe', '198.51.100.9');
      await t.hearth.rateLimiter.reset('auth.fail', '198.51.100.9');
    }
  });

  it('#15.1 failed credential checks are limited per IP (auth.fail) even where the anonymous budget is large', async () => {
    const t = await start({ HEARTH_RATE_ANON_PROBES: '100000', HEARTH_RATE_ANON_READS: '100000' });
    const codes = await statuses(t.app, 80, { method: 'GET', url: '/api/auth/session', headers: { authorization: 'Bearer bogus' } });
    expect(count(codes, 200)).toBe(60); // auth.fail: 60/min
    expect(count(codes, 429)).toBe(20);
    // A valid key from another address is not affected, and is never charged to the anonymous budget.
    const { key } = await userWithKey(t, 'reader', 'member', ['read']);
    const ok = await statuses(t.app, 5, {
      method: 'GET',
      url: '/api/auth/session',
      headers: { 'x-api-key': key },
      remoteAddress: '192.0.2.8',
    });
    expect(ok).toEqual([200, 200, 200, 200, 200]);
  });

  it('#15.2 a percent-encoded path is limited like the route it reaches (anonymous, per person, invalid keys)', async () => {
    const t = await start({ HEARTH_RATE_USER_READS: '70' });
    const anon = await statuses(t.app, 120, { method: 'GET', url: '/%61pi/health' });
    expect(count(anon, 200)).toBe(60);
    expect(count(anon, 429)).toBe(60);
    for (const url of ['/api/%68ealth', '/%61%70%69/health', '/%61pi/unknown-path'])
      expect((await t.app.inject({ method: 'GET', url })).statusCode, url).toBe(429);

    const { key } = await userWithKey(t, 'reader', 'member', ['read']);
    const person = await statuses(t.app, 80, {
      method: 'GET',
      url: '/%61pi/keys',
      headers: { 'x-api-key': key },
      remoteAddress: '192.0.2.20',
    });
    expect(count(person, 200)).toBe(70);
    expect(count(person, 429)).toBe(10);

    const guesses = await statuses(t.app, 200, {
      method: 'GET',
      url: '/%61pi/keys',
      headers: { 'x-api-key': BOGUS_KEY },
      remoteAddress: '192.0.2.21',
    });
    expect(count(guesses, 401)).toBeLessThanOrEqual(60);
    expect(count(guesses, 429)).toBeGreaterThanOrEqual(140);
  });

  it('#15.2 limits follow the matched route, decoded; the web app’s static files stay unlimited', async () => {
    const logger = createLogger({ level: 'silent' });
    const limiter = createRateLimiter({
      budgets: { 'anon.probe': { points: 3, durationSec: 60 }, 'anon.read': { points: 3, durationSec: 60 } },
      logger,
    });
    const web = policy.public('web app');
    const app = await createServer({
      config: {
        HEARTH_BODY_LIMIT: 1024,
        HEARTH_TRUSTED_PROXIES: [],
        HEARTH_TLS_CERT_FILE: undefined,
        HEARTH_TLS_KEY_FILE: undefined,
        HEARTH_SERVICE_KEY: undefined,
      },
      logger,
      limiter,
      modules: [
        (scope) => {
          scope.get('/api/thing', { config: { policy: policy.public('test') } }, async () => ({ ok: true }));
          scope.get('/assets/*', { config: { policy: web } }, async () => 'asset');
          scope.get('/*', { config: { policy: web } }, async () => 'page');
        },
      ],
    });
    try {
      for (const url of ['/assets/app.js', '/', '/chat', '/%61ssets/app.js', '/apix'])
        expect(await statuses(app, 10, { method: 'GET', url }), url).toEqual(Array(10).fill(200));
      const thing = await statuses(app, 5, { method: 'GET', url: '/%61pi/thing' });
      expect(thing).toEqual([200, 200, 200, 429, 429]);
      // An API-looking path answered by the catch-all is an anonymous probe, however it is spelled.
      const probes = await statuses(app, 5, { method: 'GET', url: '/%41PI/nothing', remoteAddress: '192.0.2.30' });
      expect(probes).toEqual([200, 200, 200, 429, 429]);
    } finally {
      await app.close();
      await limiter.close();
    }
  });
});
