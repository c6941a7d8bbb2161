import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import { createRateLimiter } from '../../src/security/ratelimit/index.js';
import { LogCapture, startTestHearth, type TestHearth } from '../support/hearth.js';
import { tempDir } from '../support/databases.js';
import { userWithKey } from '../identity/helpers.js';

const REDIS = 'redis://127.0.0.1:6379';

describe('HTTP-3 rate limits', () => {
  const open: TestHearth[] = [];
  afterEach(async () => {
    for (const t of open.splice(0)) await t.close();
  });
  const start = async (env: Record<string, string> = {}, dataDir?: string) => {
    const t = await startTestHearth({ env, ...(dataDir ? { dataDir } : {}) });
    open.push(t);
    return t;
  };

  it('anonymous probes: the 61st in a minute gets 429 with the JSON error, Retry-After and RateLimit headers', async () => {
    const t = await start();
    for (let i = 0; i < 60; i++) expect((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode).toBe(200);
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(429);
    expect(res.json()).toMatchObject({ error: 'Rate limit exceeded', code: 'RATE_LIMITED' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-limit']).toBe('60');
    expect(res.headers['ratelimit-remaining']).toBe('0');
  });

  it('anonymous writes: 10 per minute per IP; a signed-in key at the defaults is not bothered by hundreds of reads', async () => {
    const t = await start();
    for (let i = 0; i < 10; i++) await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: `n${i}`, password: 'x' } });
    expect((await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'n', password: 'x' } })).statusCode).toBe(429);
    const { key } = await userWithKey(t, 'reader', 'member', ['read']);
    for (let i = 0; i < 300; i++) {
      const res = await t.app.inject({ method: 'GET', url: '/api/keys', headers: { 'x-api-key': key } });
      expect(res.statusCode).toBe(200);
    }
  });

  it('X-Forwarded-For from an untrusted peer is ignored; from a trusted proxy it selects the client', async () => {
    const t = await start({ HEARTH_RATE_ANON_PROBES: '2' });
    const spoof = (ip: string) => t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-for': ip } });
    expect((await spoof('10.0.0.1')).statusCode).toBe(200);
    expect((await spoof('10.0.0.2')).statusCode).toBe(200);
    // A fresh forged address does not buy a fresh budget.
    expect((await spoof('10.0.0.3')).statusCode).toBe(429);
    const trusted = await start({ HEARTH_RATE_ANON_PROBES: '2', HEARTH_TRUSTED_PROXIES: '127.0.0.1' });
    for (const ip of ['10.0.0.1', '10.0.0.1', '10.0.0.2', '10.0.0.2'])
      expect((await trusted.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-for': ip } })).statusCode).toBe(200);
    expect((await trusted.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-forwarded-for': '10.0.0.1' } })).statusCode).toBe(
      429,
    );
  });

  it('guessing credentials is limited per IP too', async () => {
    const t = await start();
    let last = 0;
    for (let i = 0; i < 62; i++)
      last = (await t.app.inject({ method: 'GET', url: '/api/keys', headers: { 'x-api-key': `hth_${'A'.repeat(49)}` } })).statusCode;
    expect(last).toBe(429);
  });

  it('with Redis, two Hearth instances share one budget exactly', async () => {
    const prefix = `hearth-test-${randomBytes(6).toString('hex')}`;
    const a = createRateLimiter({
      budgets: { 'anon.read': { points: 7, durationSec: 60 } },
      logger: createLogger({ level: 'silent' }),
      redisUrl: REDIS,
      keyPrefix: prefix,
    });
    const b = createRateLimiter({
      budgets: { 'anon.read': { points: 7, durationSec: 60 } },
      logger: createLogger({ level: 'silent' }),
      redisUrl: REDIS,
      keyPrefix: prefix,
    });
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).consume('anon.read', '192.0.2.1')));
      expect(results.filter((r) => r.allowed)).toHaveLength(7);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('with Redis, two whole Hearth apps over one database share the HTTP budget', async () => {
    const dataDir = tempDir();
    const env = { HEARTH_REDIS_URL: REDIS, HEARTH_RATE_ANON_PROBES: '5' };
    const one = await start(env, dataDir);
    const two = await start(env, dataDir);
    const codes: number[] = [];
    for (let i = 0; i < 10; i++)
      codes.push(
        (await (i % 2 ? one : two).app.inject({ method: 'GET', url: `/api/health?r=${randomBytes(3).toString('hex')}` })).statusCode,
      );
    // Other runs may share 127.0.0.1's key in Redis; the combined budget never exceeds 5.
    expect(codes.filter((c) => c === 200).length).toBeLessThanOrEqual(5);
    expect(codes.filter((c) => c === 429).length).toBeGreaterThanOrEqual(5);
  });

  it('when Redis is unreachable, limiting continues in-process (never open) and the event is logged', async () => {
    const logs = new LogCapture();
    const limiter = createRateLimiter({
      budgets: { 'anon.write': { points: 3, durationSec: 60 } },
      logger: createLogger({ level: 'info', destination: logs }),
      redisUrl: 'redis://127.0.0.1:1',
      keyPrefix: 'down',
    });
    try {
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await limiter.consume('anon.write', '192.0.2.9'));
      expect(results.map((r) => r.allowed)).toEqual([true, true, true, false, false]);
      await new Promise((r) => setTimeout(r, 200));
      expect(logs.text).toContain('Redis unreachable');
    } finally {
      await limiter.close();
    }
  });
});
