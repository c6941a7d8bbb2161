import type { ProbeSession } from './session.js';
import { headerOf, type ProbeRequest } from './types.js';

/** Requests whose answers are errors of every kind the router, parser and handlers produce. */
const ERROR_PROBES: ReadonlyArray<{ request: ProbeRequest; budget: 'write' | 'probe' }> = [
  {
    request: { method: 'POST', path: '/api/auth/login', headers: { 'content-type': 'application/json' }, body: '{"name":' },
    budget: 'write',
  },
  { request: { method: 'GET', path: '/api/%zz' }, budget: 'probe' },
  { request: { method: 'GET', path: `/api/familiars/${'x'.repeat(300)}` }, budget: 'probe' },
  { request: { method: 'PROPFIND', path: '/api/health' }, budget: 'probe' },
  {
    request: { method: 'GET', path: '/api/health', headers: { 'content-type': 'application/json', 'x-request-id': '../../etc/passwd' } },
    budget: 'probe',
  },
];

/** A JavaScript, Python, Java, PHP or .NET stack frame. */
const STACK_FRAME =
  /(^|\n|\\n)\s*at\s+\S.*?[(\s][^()\s]+:\d+(:\d+)?\)?|Traceback \(most recent call last\)|\bat [\w$.]+\([\w]+\.java:\d+\)|#\d+ \/\S+\.php\(\d+\)|\bat [\w.]+\(.*\) in \S+:line \d+/;
/** A file path of the server: a home, service or source directory, or a source file with a line number. */
const INTERNAL_PATH =
  /(?<![\w.-])(?:\/(?:home|root|usr\/src|srv|opt|var\/www|app|work)\/[\w./-]+|[A-Za-z]:\\[\w\\.-]+|file:\/\/\/[\w./-]+|[\w./-]*node_modules\/[\w./@-]+|[\w./-]+\.(?:ts|js|mjs|cjs|py|rb|php|java):\d+)/;
/** A product with a version number: `Server: nginx/1.25.3`, `Node.js v20.1.0`, `fastify 4.28.1`. */
const VERSION_BANNER =
  /\b(?:nginx|apache|caddy|express|fastify|node(?:\.js)?|hearth|openresty|envoy|iis|php|python|werkzeug|gunicorn|uvicorn|kestrel)[/ ]v?\d+\.\d+/i;

/** Sends a handful of requests that fail in different layers (parser, router, method, header), for {@link scanLeaks}. */
export async function provokeErrors(session: ProbeSession): Promise<void> {
  for (const { request, budget } of ERROR_PROBES) {
    if (!(await session.send(request, budget))) session.notReached.push(`error answer to ${request.method} ${request.path.slice(0, 40)}`);
  }
}

/** HTTP-5: no error of the whole run shows a stack trace or a server path, and no answer names software with its version. */
export function scanLeaks(session: ProbeSession): void {
  for (const { request, response } of session.exchanges) {
    const where = `${request.method} ${request.path.split('?')[0]!.slice(0, 80)}`;
    const evidence = [session.evidence(request, response)];
    if (response.status >= 400) {
      if (STACK_FRAME.test(response.body))
        session.report({
          id: 'errors.stack-trace',
          severity: 'medium',
          subject: 'error bodies',
          message: `an error answer to ${where} contains a stack trace`,
          fix: 'answer errors with {error, code, requestId} only and log the details (Hearth’s error handler does; check what a proxy or plugin adds)',
          evidence,
        });
      else if (INTERNAL_PATH.test(response.body))
        session.report({
          id: 'errors.internal-path',
          severity: 'medium',
          subject: 'error bodies',
          message: `an error answer to ${where} names a server path (${INTERNAL_PATH.exec(response.body)![0].slice(0, 80)})`,
          fix: 'never put file paths in client errors; log them instead',
          evidence,
        });
    }
    const banner = ['server', 'x-powered-by', 'x-aspnet-version', 'x-runtime']
      .map((h) => (headerOf(response, h) ? `${h}: ${headerOf(response, h)}` : undefined))
      .find((h) => h && (h.startsWith('x-powered-by') || VERSION_BANNER.test(h)));
    const bodyBanner = response.status >= 400 ? VERSION_BANNER.exec(response.body)?.[0] : undefined;
    if (banner || bodyBanner)
      session.report({
        id: 'errors.version-banner',
        severity: 'low',
        subject: banner ? banner.split(':')[0]! : 'error bodies',
        message: `${where} names its software: ${banner ?? bodyBanner}`,
        fix: 'remove version banners (server_tokens off in nginx; Hearth sends none)',
        evidence,
      });
  }
}
