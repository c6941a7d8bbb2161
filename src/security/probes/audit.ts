import { isLoopbackHost, type Role } from '../../core/index.js';
import { runAggressive } from './aggressive.js';
import { NEVER_SERVED_FILES, routesFromDocument, WELL_KNOWN_ROUTES, type CatalogueRoute } from './catalogue.js';
import { checkCors } from './cors.js';
import { checkHeaders, checkLoginCookies, checkTransport, reportLegacyTls, staticFileOf } from './header-checks.js';
import { provokeErrors, scanLeaks } from './leaks.js';
import { checkObservability } from './observability.js';
import { checkRateLimit } from './ratelimit.js';
import { checkPublicList, liveVariants, walkRoutes } from './route-walk.js';
import { createProbeSession, type ProbeSession } from './session.js';
import { acceptsLegacyTls, httpTransport, inspectTls } from './transport.js';
import { ProbeError, SEVERITIES, headerOf, type LiveFinding, type TlsInfo, type Transport } from './types.js';
import { BUILT_IN_WEBHOOKS, checkWebhooks } from './webhooks.js';

export interface LiveAuditOptions {
  readonly url: string;
  /** An API key (for the query-string and role checks; an admin key for --aggressive). */
  readonly apiKey?: string;
  /** HEARTH_SERVICE_KEY, to check that it opens the service routes. */
  readonly serviceKey?: string;
  /** Webhook secrets by name, to check that replays are refused. */
  readonly webhookSecrets?: ReadonlyMap<string, string>;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | Buffer;
  /** Also run the probes that create and delete throwaway data (needs an admin or owner API key). */
  readonly aggressive?: boolean;
  /** Wait out rate limits instead of counting what they stopped as not reached. */
  readonly thorough?: boolean;
  /** Override the HTTP transport (default: real HTTP(S) to the URL). */
  readonly transport?: Transport;
}

export interface LiveAuditReport {
  readonly target: string;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly mode: 'safe' | 'aggressive';
  readonly thorough: boolean;
  readonly requests: number;
  readonly routes: number;
  /** Checks the instance's rate limits kept from running (quick mode). */
  readonly notReached: readonly string[];
  readonly findings: readonly LiveFinding[];
}

function targetOf(url: string): URL {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new ProbeError('PROBE_BAD_TARGET', `not a URL: ${url}`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new ProbeError('PROBE_BAD_TARGET', 'the URL must be http:// or https://');
  if (base.username || base.password) throw new ProbeError('PROBE_BAD_TARGET', 'the URL must not carry credentials');
  if (base.search || base.hash) throw new ProbeError('PROBE_BAD_TARGET', 'the URL must be the instance’s base URL (no query or fragment)');
  // A Hearth behind a proxy under a path prefix: every probe path goes below it.
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  return base;
}

/** The document's routes, or the well-known ones when it is missing. */
async function catalogue(session: ProbeSession): Promise<CatalogueRoute[]> {
  const request = { method: 'GET', path: '/api/openapi.json' };
  const res = await session.send(request, 'read');
  let routes: CatalogueRoute[] = [];
  try {
    routes = res && res.status === 200 ? routesFromDocument(JSON.parse(res.body)) : [];
  } catch {
    routes = [];
  }
  if (routes.length === 0)
    session.report({
      id: 'routes.no-document',
      severity: 'medium',
      subject: 'GET /api/openapi.json',
      message: 'the published API document could not be read: only the well-known routes were walked',
      fix: 'serve /api/openapi.json (Hearth does); if a proxy blocks it, audit from where it is reachable',
      evidence: [session.evidence(request, res)],
    });
  checkPublicList(session, routes, `${session.base.origin}/api/openapi.json`);
  const known = new Set(routes.map((r) => `${r.method} ${r.url}`));
  return [...routes, ...WELL_KNOWN_ROUTES.filter((r) => !known.has(`${r.method} ${r.url}`))];
}

async function roleOfKey(session: ProbeSession, apiKey: string): Promise<Role | undefined> {
  const res = await session.send({ method: 'GET', path: '/api/auth/session', headers: { 'x-api-key': apiKey } }, 'signed-in');
  try {
    const role = (JSON.parse(res?.body ?? '{}') as { user?: { role?: string } | null }).user?.role;
    return role === 'owner' || role === 'admin' || role === 'member' ? role : undefined;
  } catch {
    return undefined;
  }
}

async function checkNeverServed(session: ProbeSession, webAppPage: string | undefined): Promise<void> {
  for (const path of NEVER_SERVED_FILES) {
    const request = { method: 'GET', path };
    const res = await session.send(request, 'probe');
    if (!res) session.notReached.push(`GET ${path}`);
    else if (res.status < 400 && res.body !== webAppPage)
      session.report({
        id: 'files.exposed',
        severity: 'critical',
        subject: `GET ${path}`,
        message: `GET ${path} answered ${res.status} with something other than the web app page`,
        fix: 'serve only web/dist: never the working directory, the data directory or the sources (check the proxy’s root)',
        evidence: [session.evidence(request, res)],
      });
  }
}

/**
 * `hearth security audit --live URL`: attacks a running Hearth from outside, the way Hearth's
 * own tests do, with the same probes. Safe by default: read-only requests, bounded counts,
 * one failed login for a name no account has, nothing stored (a signed webhook delivery only
 * when its secret is given). Aggressive mode adds probes that create and delete throwaway data.
 */
export async function runLiveAudit(options: LiveAuditOptions): Promise<LiveAuditReport> {
  const started = Date.now();
  const base = targetOf(options.url);
  let tls: TlsInfo | undefined;
  if (base.protocol === 'https:' && !options.transport) tls = await inspectTls(base, options.ca);
  // Credentials go only where they cannot be read on the way: a verified TLS connection, or loopback.
  const safeChannel = base.protocol === 'https:' ? (tls?.authorized ?? true) : isLoopbackHost(base.hostname);
  const own = options.transport ? undefined : httpTransport({ base, ca: options.ca, verify: tls?.authorized ?? true });
  const session = createProbeSession({ base, transport: options.transport ?? own!, thorough: options.thorough ?? false });
  const apiKey = safeChannel ? options.apiKey : undefined;
  const serviceKey = safeChannel ? options.serviceKey : undefined;
  const secrets = safeChannel ? (options.webhookSecrets ?? new Map<string, string>()) : new Map<string, string>();
  try {
    if (!safeChannel && (options.apiKey || options.serviceKey || options.webhookSecrets?.size))
      session.report({
        id: 'audit.credentials-withheld',
        severity: 'info',
        subject: base.origin,
        message: 'the credentials given were not sent: the connection is neither verified TLS nor loopback',
        fix: 'audit over https with a certificate that verifies (or --ca FILE)',
        evidence: [],
      });
    if (tls && !options.transport) reportLegacyTls(session, await acceptsLegacyTls(base));
    const health = await session.send({ method: 'GET', path: '/api/health' }, 'probe');
    if (!health) throw new ProbeError('PROBE_UNREACHABLE', `${base.origin} answered 429 at once: wait a minute and try again`);
    const pageRes = await session.send({ method: 'GET', path: '/', headers: { accept: 'text/html' } }, 'probe');
    const webAppPage =
      pageRes && pageRes.status === 200 && /text\/html/.test(headerOf(pageRes, 'content-type') ?? '') ? pageRes.body : undefined;
    const routes = await catalogue(session);
    const apiKeyRole = apiKey ? await roleOfKey(session, apiKey) : undefined;

    await checkTransport(session, tls);
    await checkHeaders(session, base.protocol === 'https:', staticFileOf(webAppPage));
    await checkCors(session);
    await checkLoginCookies(session);
    await provokeErrors(session);
    const names = [...new Set([...BUILT_IN_WEBHOOKS, ...secrets.keys()])];
    await checkWebhooks(session, { names, secrets });
    await checkObservability(session, serviceKey);
    await checkNeverServed(session, webAppPage);
    await walkRoutes(session, routes, liveVariants({ ...(apiKey ? { apiKey } : {}), ...(apiKeyRole ? { apiKeyRole } : {}) }), {
      ...(webAppPage !== undefined ? { webAppPage } : {}),
    });
    if (options.aggressive) await runAggressive(session, { apiKey, apiKeyRole });
    scanLeaks(session);
    await checkRateLimit(session);
    if (session.notReached.length > 0)
      session.report({
        id: 'audit.not-reached',
        severity: 'info',
        subject: base.origin,
        message: `${session.notReached.length} checks were stopped by the instance's own rate limits (429, itself a refusal) and are unverified`,
        fix: 'run again with --thorough to wait out the limit windows (about 30 minutes against the default limits), or from a second address',
        evidence: [],
      });
    return {
      target: base.href,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
      mode: options.aggressive ? 'aggressive' : 'safe',
      thorough: options.thorough ?? false,
      requests: session.requestsSent,
      routes: routes.length,
      notReached: [...session.notReached],
      findings: session.findings().sort((a, b) => SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity)),
    };
  } finally {
    own?.close();
  }
}
