import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createServer } from '../../src/server/index.js';
import { createLogger } from '../../src/logging/index.js';
import { LogCapture, startTestHearth, type TestHearth } from '../support/hearth.js';

describe('HTTP base (HTTP-4, HTTP-5, HTTP-6)', () => {
  let t: TestHearth;
  beforeAll(async () => {
    t = await startTestHearth();
  });
  afterAll(async () => t.close());

  it('answers health publicly with a request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('keeps a well-formed X-Request-ID and replaces a malformed one', async () => {
    const ok = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'abc.DEF_123-x' } });
    expect(ok.headers['x-request-id']).toBe('abc.DEF_123-x');
    for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '<script>', '']) {
      const res = await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': bad } });
      expect(res.headers['x-request-id']).not.toBe(bad);
      expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('#15 logs: puts the request id in every log line of that request (a line without it fails)', async () => {
    // The lines written while the request ran, found by position: filtering by the id would keep only the lines that have it.
    const before = t.logs.lines.length;
    await t.app.inject({ method: 'GET', url: '/api/health', headers: { 'x-request-id': 'trace-me-42' } });
    const lines = t.logs.records().slice(before);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const l of lines) expect(l.requestId, JSON.stringify(l)).toBe('trace-me-42');
  });

  it('answers unknown routes with a JSON 404 and request id', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/does-not-exist' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'NOT_FOUND', requestId: res.headers['x-request-id'] });
  });
});

describe('validation and internal errors', () => {
  const logs = new LogCapture();
  const config = {
    HEARTH_BODY_LIMIT: 1024,
    HEARTH_TRUSTED_PROXIES: [],
    HEARTH_TLS_CERT_FILE: undefined,
    HEARTH_TLS_KEY_FILE: undefined,
    HEARTH_SERVICE_KEY: undefined,
  };
  const build = () =>
    createServer({
      config,
      logger: createLogger({ level: 'debug', destination: logs }),
      modules: [
        (app) => {
          app.post(
            '/api/echo',
            {
              config: { policy: { access: 'public' } },
              schema: { body: z.strictObject({ name: z.string().min(1).max(10), count: z.number().int() }) },
            },
            async (req) => ({ name: req.body.name }),
          );
          app.get('/api/boom', { config: { policy: { access: 'public' } } }, async () => {
            throw new Error('secret internal detail at db.query(password=hunter2)');
          });
        },
      ],
    });

  it('names the wrong field in a 400', async () => {
    const app = await build();
    const res = await app.inject({ method: 'POST', url: '/api/echo', payload: { name: 'x'.repeat(50), count: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['body.name'] });
    expect(res.body).not.toContain('x'.repeat(50));
    await app.close();
  });

  it('rejects unknown fields', async () => {
    const app = await build();
    const res = await app.inject({ method: 'POST', url: '/api/echo', payload: { name: 'a', count: 1, isAdmin: true } });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    await app.close();
  });

  it('rejects malformed JSON, oversized bodies and prototype poisoning without a 500', async () => {
    const app = await build();
    const bad = await app.inject({
      method: 'POST',
      url: '/api/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    const big = await app.inject({ method: 'POST', url: '/api/echo', payload: { name: 'a', count: 1, pad: 'x'.repeat(5000) } });
    expect(big.statusCode).toBe(413);
    const proto = await app.inject({
      method: 'POST',
      url: '/api/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"a","count":1,"__proto__":{"admin":true}}',
    });
    expect(proto.statusCode).toBe(400);
    for (const r of [bad, big, proto]) expect(r.json().requestId).toBe(r.headers['x-request-id']);
    await app.close();
  });

  it('hides internal errors from the client and logs them redacted', async () => {
    const app = await build();
    const res = await app.inject({ method: 'GET', url: '/api/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'Internal server error', code: 'INTERNAL', requestId: res.headers['x-request-id'] });
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toMatch(/at |\.ts|stack/);
    expect(logs.text).toContain('secret internal detail');
    expect(logs.text).not.toContain('hunter2');
    await app.close();
  });

  it('refuses to start when a route declares no policy or a lax body schema', async () => {
    const logger = createLogger({ level: 'silent', destination: logs });
    await expect(createServer({ config, logger, modules: [(app) => void app.get('/api/x', async () => 'x')] })).rejects.toThrow(
      /declares no access policy/,
    );
    await expect(
      createServer({
        config,
        logger,
        modules: [
          (app) =>
            void app.post(
              '/api/y',
              { config: { policy: { access: 'public' } }, schema: { body: z.object({ a: z.string() }) } },
              async () => 'y',
            ),
        ],
      }),
    ).rejects.toThrow(/unknown fields/);
  });
});
