import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bestGrades,
  checkHeaders,
  checkLoginCookies,
  createProbeSession,
  gradeHeaders,
  httpTransport,
} from '../../src/security/probes/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { STRONG } from '../identity/helpers.js';
import { selfSignedCertificate } from '../support/certificates.js';

type Headers = Record<string, string | string[] | number | undefined>;

/** The MDN HTTP Observatory's rules, as `hearth security audit --live` grades every response (src/security/probes). */
const observatory = (h: Headers, overTls: boolean) => gradeHeaders(h, overTls);
const BEST = bestGrades;

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
    const { cert, key } = selfSignedCertificate({ days: 1, commonName: 'localhost' });
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
    // The audit's own header and cookie probes (HTML, JSON, errors, a malformed request, a failed login) over that TLS.
    const base = new URL(`https://127.0.0.1:${port}`);
    const transport = httpTransport({ base, verify: false });
    try {
      const session = createProbeSession({ base, transport });
      await checkHeaders(session, true, undefined);
      await checkLoginCookies(session);
      expect(session.findings()).toEqual([]);
      expect(session.exchanges.length).toBeGreaterThanOrEqual(5);
    } finally {
      transport.close();
    }
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
