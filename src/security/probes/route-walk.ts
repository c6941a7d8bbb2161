import { ROLES, type Role } from '../../core/index.js';
import { mayBePublic, type CatalogueRoute } from './catalogue.js';
import type { Budget, ProbeSession } from './session.js';
import { headerOf, type ProbeRequest, type ProbeResponse } from './types.js';

/** One way of calling a route that must be refused: no credentials, forged headers, a key in the URL… */
export interface WalkVariant {
  readonly name: string;
  /** The request for this route, or undefined when the variant does not apply to it. */
  request(route: CatalogueRoute, path: string): ProbeRequest | undefined;
  /** The rate-limit budget it spends (default: by method). */
  readonly budget?: Budget;
}

type Verdict = 'refused' | 'answered' | 'error' | 'not-reached';

export interface WalkResult {
  readonly route: CatalogueRoute;
  readonly variant: string;
  readonly request: ProbeRequest;
  readonly response: ProbeResponse | undefined;
  readonly verdict: Verdict;
}

const PLACEHOLDER = 'audit-probe';
const JSON_HEADERS = { 'content-type': 'application/json' };
const hasBody = (method: string) => method !== 'GET' && method !== 'HEAD' && method !== 'DELETE' && method !== 'OPTIONS';

/** A concrete path for a route pattern: every parameter and wildcard filled with a harmless placeholder. */
function concretePath(url: string): string {
  return url.replace(/:[A-Za-z0-9_]+/g, PLACEHOLDER).replace(/\*$/, PLACEHOLDER);
}

/** The plain request of a route (an empty JSON object as the body of writes), with extra headers. */
export function plainRequest(route: CatalogueRoute, path: string, headers: Record<string, string> = {}): ProbeRequest {
  return hasBody(route.method)
    ? { method: route.method, path, headers: { ...JSON_HEADERS, ...headers }, body: '{}' }
    : { method: route.method, path, headers };
}

/**
 * Identity and routing headers that proxies and frameworks have been known to trust: a
 * forwarded user or role, a loopback client address, a rewritten URL or method. Hearth reads
 * none of them (AUTH-5, AUTH-7), so a route must refuse exactly as without them.
 */
const FORGED_IDENTITY_HEADERS: Readonly<Record<string, string>> = {
  'x-user-id': 'owner',
  'x-user': 'owner',
  'x-forwarded-user': 'owner',
  'x-remote-user': 'owner',
  'remote-user': 'owner',
  'x-auth-request-user': 'owner',
  'x-authenticated-user': 'owner',
  'x-hearth-user': 'owner',
  'x-role': 'owner',
  'x-forwarded-for': '127.0.0.1',
  'x-real-ip': '127.0.0.1',
  'x-original-url': '/api/health',
  'x-rewrite-url': '/api/health',
  'x-http-method-override': 'GET',
};

/** `/api/keys/x` → `/%61pi/%6Beys/x`: the first letter of every fixed segment percent-encoded. */
function percentEncoded(route: CatalogueRoute, path: string): string {
  const fixed = route.url.split('/');
  return path
    .split('/')
    .map((seg, i) => {
      const pattern = fixed[i] ?? '';
      if (!seg || pattern.startsWith(':') || pattern === '*' || !/^[A-Za-z]/.test(seg)) return seg;
      return `%${seg.charCodeAt(0).toString(16).toUpperCase()}${seg.slice(1)}`;
    })
    .join('/');
}

/** `/api/keys/x` → `/API/KEYS/x`: fixed segments upper-cased. */
function caseVaried(route: CatalogueRoute, path: string): string {
  const fixed = route.url.split('/');
  return path
    .split('/')
    .map((seg, i) => (fixed[i]?.startsWith(':') || fixed[i] === '*' ? seg : seg.toUpperCase()))
    .join('/');
}

/** A syntactically valid Hearth API key that belongs to no one. */
const UNKNOWN_API_KEY = `hth_${'0'.repeat(43)}000000`;

export interface LiveVariantOptions {
  /** A real key: the query-string variant uses it (a refusal then proves the URL is never read). */
  readonly apiKey?: string;
  /** The key's role: routes needing more must refuse it too. */
  readonly apiKeyRole?: Role;
}

/** The variants `hearth security audit --live` tries on every non-public route. */
export function liveVariants(options: LiveVariantOptions = {}): WalkVariant[] {
  const key = options.apiKey ?? UNKNOWN_API_KEY;
  const variants: WalkVariant[] = [
    { name: 'without credentials', request: (r, p) => plainRequest(r, p) },
    { name: 'with forged identity headers', request: (r, p) => plainRequest(r, p, { ...FORGED_IDENTITY_HEADERS }) },
    { name: 'with a key in the query string', request: (r, p) => plainRequest(r, `${p}?api_key=${encodeURIComponent(key)}`) },
    { name: 'through a percent-encoded path', request: (r, p) => plainRequest(r, percentEncoded(r, p)) },
    // Hearth's routes are case-sensitive: a case-varied API path is an unknown path (or the web app's page).
    { name: 'through a case-varied path', request: (r, p) => plainRequest(r, caseVaried(r, p)), budget: 'probe' },
  ];
  const { apiKey, apiKeyRole } = options;
  if (apiKey && apiKeyRole)
    variants.push({
      name: `with the given ${apiKeyRole} key, below the route's role`,
      budget: 'signed-in',
      request: (r, p) =>
        r.policy?.access === 'signed' && ROLES.indexOf(r.policy.role) > ROLES.indexOf(apiKeyRole)
          ? plainRequest(r, p, { 'x-api-key': apiKey })
          : undefined,
    });
  return variants;
}

function verdictOf(res: ProbeResponse | undefined, webAppPage: string | undefined): Verdict {
  if (!res) return 'not-reached';
  if (res.status >= 500 && res.status !== 503) return 'error';
  if (res.status >= 400) {
    // Schema validation runs after the policy check: a validation error means the policy let the caller through.
    return /"code"\s*:\s*"VALIDATION_FAILED"/.test(res.body) ? 'answered' : 'refused';
  }
  // The web app's own page (the single-page fallback) is public by design.
  if (webAppPage !== undefined && res.body === webAppPage && /text\/html/.test(headerOf(res, 'content-type') ?? '')) return 'refused';
  return 'answered';
}

const isRead = (method: string) => method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

/** Most sensitive first: service routes, then owner, admin, member; a route without parameters before one with (it answers with data, not 404). */
function sensitivity(route: CatalogueRoute): number {
  const p = route.policy;
  const rank = !p || p.access === 'public' ? -1 : p.access === 'service' ? ROLES.length : ROLES.indexOf(p.role);
  return -2 * rank + (/[:*]/.test(route.url) ? 1 : 0);
}

/**
 * The order of the walk. First every variant on a few of the most sensitive routes (one service
 * route, one read, one write), because what a deployment gets wrong (a proxy that trusts a forged
 * header, moves a URL key into a header, or guards paths it does not normalise) shows on any
 * route but only one way; then the rest variant by variant, so a rate limit that stops a quick
 * run leaves the remaining routes tried the first way (without credentials) before any other.
 */
function walkOrder(targets: readonly CatalogueRoute[], variants: readonly WalkVariant[]): Array<[WalkVariant, CatalogueRoute]> {
  const bySensitivity = [...targets].sort((a, b) => sensitivity(a) - sensitivity(b));
  const kinds: Array<(r: CatalogueRoute) => boolean> = [
    (r) => r.policy?.access === 'service',
    (r) => r.policy?.access === 'signed' && isRead(r.method),
    (r) => r.policy?.access === 'signed' && !isRead(r.method),
  ];
  const first: Array<[WalkVariant, CatalogueRoute]> = [];
  for (const variant of variants)
    for (const kind of kinds) {
      const route = bySensitivity.find((r) => kind(r) && variant.request(r, concretePath(r.url)) !== undefined);
      if (route) first.push([variant, route]);
    }
  const rest = variants.flatMap((v) =>
    targets.filter((r) => !first.some(([fv, fr]) => fv === v && fr === r)).map((r): [WalkVariant, CatalogueRoute] => [v, r]),
  );
  return [...first, ...rest];
}

/**
 * Tries every variant on every route that is not public (in {@link walkOrder}), and reports
 * each route that answers (critical) or fails (medium) instead of refusing (AUTH-7).
 */
export async function walkRoutes(
  session: ProbeSession,
  routes: readonly CatalogueRoute[],
  variants: readonly WalkVariant[],
  options: { webAppPage?: string } = {},
): Promise<WalkResult[]> {
  const targets = routes.filter((r) => r.policy !== null && r.policy.access !== 'public');
  const results: WalkResult[] = [];
  for (const [variant, route] of walkOrder(targets, variants)) {
    const request = variant.request(route, concretePath(route.url));
    if (!request) continue;
    const response = await session.send(request, variant.budget);
    const verdict = verdictOf(response, options.webAppPage);
    results.push({ route, variant: variant.name, request, response, verdict });
    const subject = `${route.method} ${route.url}`;
    if (verdict === 'not-reached') session.notReached.push(`${subject} ${variant.name}`);
    if (verdict === 'answered')
      session.report({
        id: 'routes.answers-without-credentials',
        severity: 'critical',
        subject,
        message: `${subject} (${route.policy?.access === 'service' ? 'service key' : `${(route.policy as { role: string }).role} only`}) answered ${response!.status} ${variant.name}`,
        fix: 'every route but the public list must refuse (401/403) before any handler runs; check the route policy and anything in front of Hearth that rewrites paths or adds identity headers',
        evidence: [session.evidence(request, response)],
      });
    if (verdict === 'error')
      session.report({
        id: 'routes.server-error',
        severity: 'medium',
        subject,
        message: `${subject} failed with ${response!.status} ${variant.name} instead of refusing`,
        fix: 'an unauthenticated request must get 401, never reach code that fails',
        evidence: [session.evidence(request, response)],
      });
  }
  return results;
}

/** The document's own claims: every route declares a policy, and only the reviewed list is public. */
export function checkPublicList(session: ProbeSession, routes: readonly CatalogueRoute[], documentUrl: string): void {
  for (const route of routes) {
    const subject = `${route.method} ${route.url}`;
    if (route.policy === null)
      session.report({
        id: 'routes.no-policy',
        severity: 'high',
        subject,
        message: `${subject} declares no access policy in the API document`,
        fix: 'every route declares config.policy (AUTH-7); a Hearth build refuses to start without one, so this instance runs altered code',
        evidence: [{ request: `GET ${documentUrl}`, response: `"x-hearth-policy": null for ${subject}` }],
      });
    else if (route.policy.access === 'public' && !mayBePublic(route))
      session.report({
        id: 'routes.unexpected-public',
        severity: 'high',
        subject,
        message: `${subject} is public, and not on Hearth's reviewed public list`,
        fix: 'give the route a signed policy, or review it and add it to the public list (src/security/probes/catalogue.ts)',
        evidence: [{ request: `GET ${documentUrl}`, response: `"x-hearth-policy": ${JSON.stringify(route.policy)} for ${subject}` }],
      });
  }
}
