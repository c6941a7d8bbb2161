import { request as httpRequest } from 'node:http';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

/** The armour's headers (HTTP-1) every response must carry, as a normal response has them. */
const SECURITY_HEADERS = [
  'content-security-policy',
  'x-frame-options',
  'x-content-type-options',
  'referrer-policy',
  'permissions-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'x-dns-prefetch-control',
  'x-permitted-cross-domain-policies',
];

const json = { 'content-type': 'application/json' };
/** Requests that fail before any handler runs, each in its own way. */
const EARLY: Array<[string, InjectOptions]> = [
  ['malformed percent-encoding', { method: 'GET', url: '/api/%zz' }],
  ['malformed percent-encoding outside the API', { method: 'GET', url: '/%zz' }],
  ['truncated UTF-8 escape', { method: 'GET', url: '/api/%E0%A4%A' }],
  ['invalid UTF-8 escape', { method: 'GET', url: '/api/familiars/%C0%AF' }],
  ['path parameter beyond the router limit', { method: 'GET', url: `/api/familiars/${'a'.repeat(300)}` }],
  ['malformed JSON', { method: 'POST', url: '/api/auth/login', headers: json, payload: '{"name":' }],
  ['empty JSON body', { method: 'POST', url: '/api/auth/login', headers: json, payload: '' }],
  ['prototype poisoning', { method: 'POST', url: '/api/auth/login', headers: json, payload: '{"__proto__":{"a":1}}' }],
  ['body too large', { method: 'POST', url: '/api/auth/login', headers: json, payload: JSON.stringify({ pad: 'x'.repeat(1_100_000) }) }],
  ['unsupported media type', { method: 'POST', url: '/api/auth/login', headers: { 'content-type': 'application/xml' }, payload: '<a/>' }],
  ['unknown route', { method: 'GET', url: '/api/does-not-exist' }],
  ['method not allowed on a route', { method: 'DELETE', url: '/api/health' }],
  ['unknown method', { method: 'PROPFIND' as InjectOptions['method'], url: '/api/health' }],
];

// With the web app's catch-all route and without it (then a long parameter hits the router's own limit).
describe.each(['true', 'false'])(
  'every early failure gets the armour, the error shape and a request id (issue #15.3; web app %s)',
  (web) => {
    let t: TestHearth;
    let reference: LightMyRequestResponse;
    beforeAll(async () => {
      t = await startTestHearth({
        env: {
          HEARTH_SERVE_WEB: web,
          HEARTH_RATE_ANON_PROBES: '100000',
          HEARTH_RATE_ANON_READS: '100000',
          HEARTH_RATE_ANON_WRITES: '100000',
        },
      });
      reference = await t.app.inject({ method: 'GET', url: '/api/health' });
      for (const name of SECURITY_HEADERS) expect(reference.headers[name], name).toBeDefined();
    });
    afterAll(async () => t?.close());

    function expectArmoured(label: string, status: number, headers: Record<string, unknown>, body: string): void {
      expect(status, label).toBeGreaterThanOrEqual(400);
      expect(status, label).toBeLessThan(500);
      for (const name of SECURITY_HEADERS) expect(headers[name], `${label}: ${name}`).toBe(reference.headers[name]);
      expect(headers['x-powered-by'], label).toBeUndefined();
      const requestId = headers['x-request-id'];
      expect(requestId, label).toMatch(/^[0-9a-f-]{36}$/);
      const parsed = JSON.parse(body) as Record<string, unknown>;
      expect(Object.keys(parsed).sort(), label).toEqual(['code', 'error', 'requestId']);
      expect(parsed.requestId, label).toBe(requestId);
      expect(parsed.code, label).toMatch(/^[A-Z_]+$/);
      expect(String(parsed.error), label).not.toMatch(/FST_|valid url component|%zz/);
      const lines = t.logs.records().filter((r) => r.requestId === requestId);
      expect(lines.length, `${label}: logged with its request id`).toBeGreaterThan(0);
    }

    it('#15.3 each early failure answers {error, code, requestId} with the security headers and x-request-id', async () => {
      for (const [label, request] of EARLY) {
        const res = await t.app.inject(request);
        expectArmoured(label, res.statusCode, res.headers, res.body);
      }
    });

    it('#15.3 a malformed URL over a real socket is answered the same way, and a caller’s X-Request-ID is kept', async () => {
      const address = await t.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = new URL(address);
      const res = await new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = httpRequest({ host: '127.0.0.1', port: Number(port), path: '/api/%zz', method: 'GET' }, (r) => {
          let body = '';
          r.on('data', (c: Buffer) => (body += c.toString()));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
      expectArmoured('socket', res.status, res.headers, res.body);
      expect(res.status).toBe(400);
      const kept = await t.app.inject({ method: 'GET', url: '/api/%zz', headers: { 'x-request-id': 'bad-url-trace-1' } });
      expect(kept.headers['x-request-id']).toBe('bad-url-trace-1');
      expect(kept.json()).toMatchObject({ code: 'BAD_REQUEST', requestId: 'bad-url-trace-1' });
      expect(t.logs.records().filter((r) => r.requestId === 'bad-url-trace-1' && r.msg === 'incoming request')).toHaveLength(1);
    });
  },
);
