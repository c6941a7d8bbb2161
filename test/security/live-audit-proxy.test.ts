import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, request, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runLiveAudit, type LiveAuditReport } from '../../src/security/probes/index.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';
import { selfSignedCertificate } from '../support/certificates.js';

/**
 * A real Hearth behind a small loopback reverse proxy that gets one thing wrong, the way an
 * operator's own proxy, gateway or load balancer can: each time the audit must report exactly
 * that, and nothing else beyond what a default instance shows.
 */

const ids = (r: LiveAuditReport) => r.findings.map((f) => `${f.id} [${f.subject}]`).sort();
const DEFAULT_FINDINGS = (origin: string) => [
  `audit.not-reached [${origin}]`,
  'observability.off [HEARTH_SERVICE_KEY]',
  `transport.plain-http [${origin}]`,
  'webhooks.disabled [erasure]',
  'webhooks.disabled [invalidate]',
];

interface Flaw {
  /** Hearth is mounted below this path (e.g. `/hearth`); anything else is 404. */
  readonly prefix?: string;
  /** Terminate TLS with this certificate; `legacy` also accepts TLS 1.0/1.1. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly legacy?: boolean };
  /** Answer the request at the proxy instead of forwarding it. */
  answer?(req: IncomingMessage): [number, Record<string, string>, string] | undefined;
  /** Change what is forwarded (headers are lower case; the path is the raw one). */
  forward?(req: IncomingMessage, path: string, headers: Record<string, string | string[] | undefined>): string | void;
  /** Change the upstream answer's headers before they go back. */
  back?(req: IncomingMessage, status: number, headers: OutgoingHttpHeaders): void;
}

interface Proxy {
  readonly url: string;
  readonly origin: string;
  close(): Promise<void>;
}

async function startProxy(upstreamPort: number, flaw: Flaw): Promise<Proxy> {
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    const answered = flaw.answer?.(req);
    if (answered) {
      req.resume();
      res.writeHead(answered[0], answered[1]).end(answered[2]);
      return;
    }
    let path = req.url ?? '/';
    if (flaw.prefix) {
      if (!path.startsWith(`${flaw.prefix}/`)) {
        req.resume();
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      path = path.slice(flaw.prefix.length);
    }
    const headers: Record<string, string | string[] | undefined> = { ...req.headers };
    path = flaw.forward?.(req, path, headers) ?? path;
    const up = request({ host: '127.0.0.1', port: upstreamPort, method: req.method, path, headers }, (answer) => {
      const back: OutgoingHttpHeaders = { ...answer.headers };
      flaw.back?.(req, answer.statusCode ?? 502, back);
      res.writeHead(answer.statusCode ?? 502, back);
      answer.pipe(res);
    });
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  };
  const server = flaw.tls
    ? createHttpsServer(
        {
          cert: readFileSync(flaw.tls.cert),
          key: readFileSync(flaw.tls.key),
          ...(flaw.tls.legacy ? { minVersion: 'TLSv1' as const, ciphers: 'DEFAULT@SECLEVEL=0' } : {}),
        },
        handle,
      )
    : createHttpServer(handle);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const origin = `${flaw.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin + (flaw.prefix ?? ''),
    origin,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** A self-signed certificate for 127.0.0.1, valid `days` days. */
function certificate(days: number): { cert: string; key: string } {
  return selfSignedCertificate({ days, commonName: '127.0.0.1', subjectAltName: 'IP:127.0.0.1' });
}

let t: TestHearth | undefined;
let proxy: Proxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await t?.close();
  proxy = undefined;
  t = undefined;
});

async function behind(flaw: Flaw, env: Record<string, string> = {}): Promise<Proxy> {
  t = await startTestHearth({ env });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  proxy = await startProxy((t.app.server.address() as AddressInfo).port, flaw);
  return proxy;
}

describe('#23 hearth security audit --live through the operator’s own proxy (CFG-5)', () => {
  it('#23.24 a faithful proxy mounting Hearth under a path prefix: the same findings as beside it', async () => {
    const p = await behind({ prefix: '/hearth' });
    const report = await runLiveAudit({ url: p.url });
    expect(ids(report)).toEqual(DEFAULT_FINDINGS(p.origin).sort());
    expect(report.routes).toBeGreaterThan(50);
  });

  it('#23.25 production mode behind a TLS proxy listed in HEARTH_TRUSTED_PROXIES: no finding above low (HTTP-1)', async () => {
    const { cert, key } = certificate(60);
    const serviceKey = randomBytes(24).toString('hex');
    const p = await behind(
      {
        tls: { cert, key },
        // What a correct proxy does: it states the protocol and the client's address, replacing anything the client sent.
        forward: (req, _path, headers) => {
          headers['x-forwarded-proto'] = 'https';
          headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
          delete headers['x-forwarded-host'];
        },
      },
      {
        HEARTH_ENV: 'production',
        HEARTH_MASTER_KEY: randomBytes(32).toString('hex'),
        HEARTH_TRUSTED_PROXIES: '127.0.0.1',
        HEARTH_SERVICE_KEY: serviceKey,
      },
    );
    const webhookSecrets = new Map<string, string>();
    for (const name of ['erasure', 'invalidate']) webhookSecrets.set(name, await t!.hearth.webhooks.createSecret(name));
    const report = await runLiveAudit({ url: p.url, ca: readFileSync(cert), serviceKey, webhookSecrets });
    expect(ids(report)).toEqual([`audit.not-reached [${p.origin}]`]);
    expect(JSON.stringify(report)).not.toContain(serviceKey);
  });

  it('#23.26 a TLS proxy Hearth is not told about, accepting TLS 1.1, with a certificate near expiry: HSTS, version and expiry (HTTP-1)', async () => {
    const { cert, key } = certificate(10);
    const p = await behind({ tls: { cert, key, legacy: true } });
    const report = await runLiveAudit({ url: p.url, ca: readFileSync(cert) });
    const host = new URL(p.origin).host;
    expect(ids(report)).toEqual(
      [
        ...DEFAULT_FINDINGS(p.origin).filter((i) => !i.startsWith('transport.plain-http')),
        'headers.hsts [hsts]',
        `tls.expiry [${host}]`,
        `tls.version [${host}]`,
      ].sort(),
    );
    for (const f of report.findings.filter((x) => /^(tls|headers)\./.test(x.id))) expect(f.severity).toBe('medium');
  });

  it('#23.27 a load balancer’s sticky cookie without Secure, HttpOnly or SameSite is high (AUTH-2)', async () => {
    const p = await behind({ back: (_req, _status, headers) => void (headers['set-cookie'] = ['SERVERID=app1; Path=/']) });
    const report = await runLiveAudit({ url: p.url });
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(p.origin), 'cookies.flags [SERVERID]'].sort());
    const f = report.findings.find((x) => x.id === 'cookies.flags')!;
    expect(f.severity).toBe('high');
    expect(f.message).toBe('cookie SERVERID lacks Secure, HttpOnly, SameSite=Strict');
    expect(f.evidence[0]?.request).toMatch(/^POST \/api\/auth\/login HTTP\/1\.1/);
  });

  it('#23.28 a proxy that reflects any Origin with credentials: foreign and null origins are critical (HTTP-2)', async () => {
    const p = await behind({
      back: (req, _status, headers) => {
        if (!req.headers.origin) return;
        headers['access-control-allow-origin'] = req.headers.origin;
        headers['access-control-allow-credentials'] = 'true';
      },
    });
    const report = await runLiveAudit({ url: p.url });
    expect(ids(report)).toEqual(
      [
        ...DEFAULT_FINDINGS(p.origin),
        'cors.foreign-origin [Access-Control-Allow-Origin]',
        'cors.null-origin [Access-Control-Allow-Origin]',
      ].sort(),
    );
    for (const f of report.findings.filter((x) => x.id.startsWith('cors.'))) expect(f.severity).toBe('critical');
  });

  it('#23.29 a proxy that drops Retry-After from 429 answers is found; the limit itself is proven (HTTP-3)', async () => {
    const p = await behind({ back: (_req, status, headers) => void (status === 429 && delete headers['retry-after']) });
    const report = await runLiveAudit({ url: p.url });
    const f = report.findings.find((x) => x.id === 'ratelimit.no-retry-after');
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(p.origin), `ratelimit.no-retry-after [${f?.subject}]`].sort());
    expect(f?.evidence[0]?.response).toMatch(/^HTTP\/1\.1 429/);
  });

  it('#23.30 a webhook relay that accepts every delivery (202) is critical: unsigned and stale deliveries get through (HOOK-1)', async () => {
    const p = await behind({
      answer: (req) =>
        req.method === 'POST' && req.url?.startsWith('/api/webhooks/')
          ? [202, { 'content-type': 'application/json' }, '{"queued":true}']
          : undefined,
    });
    const report = await runLiveAudit({ url: p.url });
    const hooks = ['erasure', 'invalidate'].flatMap((n) => [
      `webhooks.unsigned-accepted [POST /api/webhooks/${n}]`,
      `webhooks.stale-accepted [POST /api/webhooks/${n}]`,
      `webhooks.replay-unchecked [${n}]`,
    ]);
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(p.origin).filter((i) => !i.startsWith('webhooks.')), ...hooks].sort());
  });

  it('#23.31 an auth gateway that trusts a client’s X-Forwarded-User is found by a quick run at default limits (AUTH-5, AUTH-7)', async () => {
    let ownerKey = '';
    const p = await behind({
      // The gateway "signs in" whoever X-Forwarded-User names, on reads, with the owner's key.
      forward: (req, _path, headers) => {
        if (req.method === 'GET' && req.headers['x-forwarded-user']) headers['x-api-key'] = ownerKey;
      },
    });
    ownerKey = (await userWithKey(t!, 'boss', 'owner', ['read', 'write', 'chat', 'admin'])).key;
    const report = await runLiveAudit({ url: p.url });
    const open = report.findings.filter((f) => f.id === 'routes.answers-without-credentials');
    expect(open.length).toBeGreaterThan(0);
    for (const f of open) {
      expect(f.severity).toBe('critical');
      expect(f.message).toMatch(/ with forged identity headers$/);
      expect(f.evidence[0]?.request).toContain('x-forwarded-user: owner');
    }
    expect(ids(report).filter((i) => !i.startsWith('routes.answers-without-credentials'))).toEqual(DEFAULT_FINDINGS(p.origin).sort());
    expect(JSON.stringify(report)).not.toContain(ownerKey);
  });

  it('#23.32 a proxy that turns ?api_key= into X-Api-Key (for clients that cannot set headers) is found (AUTH-5)', async () => {
    const p = await behind({
      forward: (_req, path, headers) => {
        const url = new URL(path, 'http://x');
        const key = url.searchParams.get('api_key');
        if (!key) return;
        headers['x-api-key'] = key;
        url.searchParams.delete('api_key');
        return url.pathname + url.search;
      },
    });
    const { key } = await userWithKey(t!, 'boss', 'owner', ['read', 'write', 'chat', 'admin']);
    const report = await runLiveAudit({ url: p.url, apiKey: key });
    const open = report.findings.filter((f) => f.id === 'routes.answers-without-credentials');
    expect(open.length).toBeGreaterThan(0);
    for (const f of open) expect(f.message).toMatch(/ with a key in the query string$/);
    expect(ids(report).filter((i) => !i.startsWith('routes.answers-without-credentials'))).toEqual(DEFAULT_FINDINGS(p.origin).sort());
    expect(JSON.stringify(report)).not.toContain(key);
  });

  it('#23.33 a proxy that adds the service key to everything and denies the metrics paths as written: a percent-encoded path gets through (HTTP-7, AUTH-7)', async () => {
    const serviceKey = randomBytes(24).toString('hex');
    // nginx-style: `location = /metrics { deny all; }` matches the raw path; Hearth's router decodes %6D.
    const denied = new Set(['/metrics', '/api/observability']);
    const p = await behind(
      {
        answer: (req) => (denied.has((req.url ?? '').split('?')[0]!) ? [403, { 'content-type': 'text/plain' }, 'forbidden'] : undefined),
        forward: (_req, _path, headers) => void (headers['x-api-key'] = serviceKey),
      },
      { HEARTH_SERVICE_KEY: serviceKey },
    );
    const report = await runLiveAudit({ url: p.url });
    const open = report.findings.filter((f) => f.id === 'routes.answers-without-credentials');
    expect(open.map((f) => f.subject)).toHaveLength(1);
    expect(['GET /metrics', 'GET /api/observability']).toContain(open[0]!.subject);
    expect(open[0]!.message).toMatch(/ through a percent-encoded path$/);
    expect(open[0]!.evidence[0]?.request).toMatch(/^GET \/(%6D|%61)/);
    expect(ids(report).filter((i) => !i.startsWith('routes.answers-without-credentials'))).toEqual(
      DEFAULT_FINDINGS(p.origin)
        .filter((i) => !i.startsWith('observability.'))
        .sort(),
    );
    expect(JSON.stringify(report)).not.toContain(serviceKey);
  });

  it('#23.37 the same proxy normalising percent-encoding but forwarding to a case-insensitive backend: a case-varied path gets through (AUTH-7)', async () => {
    const serviceKey = randomBytes(24).toString('hex');
    const denied = new Set(['/metrics', '/api/observability']);
    const rawPath = (req: IncomingMessage) => (req.url ?? '').split('?')[0]!;
    const p = await behind(
      {
        answer: (req) => {
          let path: string;
          try {
            path = decodeURIComponent(rawPath(req));
          } catch {
            path = rawPath(req);
          }
          return denied.has(path) ? [403, { 'content-type': 'text/plain' }, 'forbidden'] : undefined;
        },
        forward: (_req, path, headers) => {
          headers['x-api-key'] = serviceKey;
          const [pathname = '', query] = path.split('?');
          return pathname.toLowerCase() + (query === undefined ? '' : `?${query}`);
        },
      },
      { HEARTH_SERVICE_KEY: serviceKey },
    );
    const report = await runLiveAudit({ url: p.url });
    const open = report.findings.filter((f) => f.id === 'routes.answers-without-credentials');
    expect(open).toHaveLength(1);
    expect(open[0]!.message).toMatch(/ through a case-varied path$/);
    expect(open[0]!.evidence[0]?.request).toMatch(/^GET \/(METRICS|API\/OBSERVABILITY) /);
    expect(ids(report).filter((i) => !i.startsWith('routes.answers-without-credentials'))).toEqual(
      DEFAULT_FINDINGS(p.origin)
        .filter((i) => !i.startsWith('observability.'))
        .sort(),
    );
  });

  it('#23.38 static files served by the proxy itself, without Hearth’s headers: one finding per Observatory rule, on the static file (HTTP-1)', async () => {
    const p = await behind({
      answer: (req) =>
        req.url?.startsWith('/assets/') ? [200, { 'content-type': 'text/javascript' }, 'console.log("static")'] : undefined,
    });
    const report = await runLiveAudit({ url: p.url });
    const rules = ['corp', 'csp', 'frameAncestors', 'nosniff', 'referrer', 'xfo'];
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(p.origin), ...rules.map((r) => `headers.${r} [${r}]`)].sort());
    for (const f of report.findings.filter((x) => x.id.startsWith('headers.'))) {
      expect(f.evidence).toHaveLength(1);
      expect(f.evidence[0]?.request).toMatch(/^GET \/assets\/\S+\.(js|css) HTTP\/1\.1/);
    }
  });

  it('#23.39 a proxy that names itself with its version is low, with the header as evidence (HTTP-5)', async () => {
    const p = await behind({ back: (_req, _status, headers) => void (headers.server = 'nginx/1.25.3') });
    const report = await runLiveAudit({ url: p.url });
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(p.origin), 'errors.version-banner [server]'].sort());
    const f = report.findings.find((x) => x.id === 'errors.version-banner')!;
    expect(f.severity).toBe('low');
    expect(f.evidence[0]?.response).toContain('server: nginx/1.25.3');
  });

  it('#23.34 --aggressive through a proxy that refuses DELETE: what it made is reported left behind, high (MEM-1)', async () => {
    const p = await behind({
      answer: (req) => (req.method === 'DELETE' ? [403, { 'content-type': 'application/json' }, '{"error":"Forbidden"}'] : undefined),
    });
    const { key } = await userWithKey(t!, 'boss', 'owner', ['read', 'write', 'chat', 'admin']);
    const report = await runLiveAudit({ url: p.url, apiKey: key, aggressive: true });
    const left = report.findings.find((f) => f.id === 'aggressive.cleanup-failed');
    expect(ids(report)).toEqual([...DEFAULT_FINDINGS(p.origin), `aggressive.cleanup-failed [${left?.subject}]`].sort());
    expect(left?.severity).toBe('high');
    const familiars = await t!.hearth.familiars.list();
    expect(familiars).toHaveLength(1);
    expect(left?.subject).toContain(familiars[0]!.id);
    expect(left?.subject).toMatch(/^conversation \S+, familiar audit-[0-9a-f]{10} /);
  });
});
