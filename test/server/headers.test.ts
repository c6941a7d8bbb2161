import { execFileSync } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { STRONG } from '../identity/helpers.js';

type Headers = Record<string, string | string[] | number | undefined>;

function one(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(', ') : v === undefined ? undefined : String(v);
}

/** The MDN HTTP Observatory's header rules (its published scoring), each asserting the best result. */
function observatory(h: Headers, overTls: boolean): Record<string, string> {
  const results: Record<string, string> = {};
  const csp = one(h, 'content-security-policy') ?? '';
  const directives = new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((d) => d[0])
      .map((d) => [d[0]!.toLowerCase(), d.slice(1)]),
  );
  const src = (name: string) => directives.get(name) ?? directives.get('default-src') ?? [];
  const unsafe = ["'unsafe-inline'", "'unsafe-eval'", '*', 'http:', 'https:', 'data:'];
  const scriptUnsafe = src('script-src').some((s) => unsafe.includes(s));
  const styleUnsafe = src('style-src').some((s) => s === "'unsafe-inline'" || s === '*' || s === 'http:' || s === 'https:');
  const objectSafe = (directives.get('object-src') ?? directives.get('default-src') ?? []).join(' ') === "'none'";
  results.csp = !csp
    ? 'csp-not-implemented'
    : scriptUnsafe || styleUnsafe || !objectSafe
      ? 'csp-implemented-with-unsafe'
      : 'csp-implemented-with-no-unsafe';
  results.frameAncestors = directives.get('frame-ancestors')?.join(' ') === "'none'" ? 'x-frame-options-implemented-via-csp' : 'missing';
  results.xfo = one(h, 'x-frame-options')?.toUpperCase() === 'DENY' ? 'x-frame-options-sameorigin-or-deny' : 'missing';
  results.nosniff = one(h, 'x-content-type-options')?.toLowerCase() === 'nosniff' ? 'x-content-type-options-nosniff' : 'missing';
  const referrer = one(h, 'referrer-policy')?.toLowerCase() ?? '';
  results.referrer = ['no-referrer', 'same-origin', 'strict-origin', 'strict-origin-when-cross-origin'].includes(referrer)
    ? 'referrer-policy-private'
    : 'referrer-policy-unsafe';
  results.corp = one(h, 'cross-origin-resource-policy') === 'same-origin' ? 'corp-same-origin' : 'missing';
  const acao = one(h, 'access-control-allow-origin');
  results.cors =
    acao === undefined
      ? 'cross-origin-resource-sharing-not-implemented'
      : acao === '*'
        ? 'cross-origin-resource-sharing-implemented-with-universal-access'
        : 'cross-origin-resource-sharing-implemented-with-restricted-access';
  const hsts = one(h, 'strict-transport-security');
  const maxAge = Number(/max-age=(\d+)/.exec(hsts ?? '')?.[1] ?? 0);
  results.hsts = overTls
    ? maxAge >= 31_536_000
      ? 'hsts-implemented-max-age-at-least-one-year'
      : 'hsts-missing-or-short'
    : hsts
      ? 'hsts-header-over-http'
      : 'hsts-not-implemented-no-https';
  const raw = h['set-cookie'];
  const cookies = raw === undefined ? [] : Array.isArray(raw) ? raw : [String(raw)];
  results.cookies = cookies.every((c) => /;\s*Secure/i.test(c) && /;\s*HttpOnly/i.test(c) && /;\s*SameSite=(Strict|Lax)/i.test(c))
    ? 'cookies-secure-with-httponly-sessions-and-samesite'
    : 'cookies-without-secure-flag';
  results.poweredBy = h['x-powered-by'] === undefined ? 'absent' : 'present';
  return results;
}

const BEST = (overTls: boolean) => ({
  csp: 'csp-implemented-with-no-unsafe',
  frameAncestors: 'x-frame-options-implemented-via-csp',
  xfo: 'x-frame-options-sameorigin-or-deny',
  nosniff: 'x-content-type-options-nosniff',
  referrer: 'referrer-policy-private',
  corp: 'corp-same-origin',
  cors: 'cross-origin-resource-sharing-not-implemented',
  hsts: overTls ? 'hsts-implemented-max-age-at-least-one-year' : 'hsts-not-implemented-no-https',
  cookies: 'cookies-secure-with-httponly-sessions-and-samesite',
  poweredBy: 'absent',
});

describe('HTTP-1 security headers scored by the Observatory rules', () => {
  let t: TestHearth;
  afterEach(async () => t?.close());

  it('every response over plain HTTP gets the best result, including errors and the login cookie', async () => {
    t = await startTestHearth();
    await t.hearth.identity.createUser({ name: 'ivy', password: STRONG, role: 'member' });
    const responses = [
      await t.app.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://evil.example' } }),
      await t.app.inject({ method: 'GET', url: '/api/nope' }),
      await t.app.inject({ method: 'GET', url: '/api/users' }),
      await t.app.inject({ method: 'POST', url: '/api/auth/login', payload: { name: 'ivy', password: STRONG } }),
    ];
    for (const res of responses) {
      expect(observatory(res.headers, false)).toEqual(BEST(false));
      expect(res.headers['permissions-policy']).toBe('microphone=(self), camera=(), geolocation=()');
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers['content-security-policy']).toBe(
        "default-src 'self';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';object-src 'none';base-uri 'none';frame-ancestors 'none';form-action 'self'",
      );
    }
  });

  it('over direct TLS (a self-signed certificate) HSTS is one year with subdomains', async () => {
    const dir = tempDir('hearth-tls-');
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    t = await startTestHearth({ env: { HEARTH_TLS_CERT_FILE: cert, HEARTH_TLS_KEY_FILE: key } });
    await t.app.listen({ host: '127.0.0.1', port: 0 });
    const port = (t.app.server.address() as AddressInfo).port;
    const headers = await new Promise<Headers>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/api/health', rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.headers);
      });
      req.on('error', reject);
      req.end();
    });
    expect(observatory(headers, true)).toEqual(BEST(true));
    expect(headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  });

  it('HTTP-2: CORS allows only listed origins, never with a wildcard, and only the methods and headers Hearth uses', async () => {
    t = await startTestHearth({ env: { HEARTH_ALLOWED_ORIGINS: 'https://app.example' } });
    const ok = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/keys',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('https://app.example');
    expect(String(ok.headers['access-control-allow-methods'])).not.toContain('TRACE');
    const evil = await t.app.inject({
      method: 'OPTIONS',
      url: '/api/keys',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    const get = await t.app.inject({ method: 'GET', url: '/api/health', headers: { origin: 'https://evil.example' } });
    expect(get.headers['access-control-allow-origin']).toBeUndefined();
  });
});
