import type { Role, Scope } from '../../core/index.js';

/** A route's policy as the published API document states it (`x-hearth-policy`). */
type DocumentedPolicy =
  | { readonly access: 'public'; readonly why?: string }
  | { readonly access: 'service' }
  | { readonly access: 'signed'; readonly role: Role; readonly scope: Scope };

/** One route: method and Fastify-style path (`/api/keys/:id`). */
export interface CatalogueRoute {
  readonly method: string;
  readonly url: string;
  readonly policy: DocumentedPolicy | null;
}

/**
 * The short public list (AUTH-7). Anything else public is a finding until it is reviewed and
 * added here; Hearth's own route walk (test/server/route-walk.test.ts) holds the code to it too.
 */
const HEARTH_PUBLIC_ROUTES: ReadonlySet<string> = new Set([
  'GET /api/health',
  'GET /api/setup',
  'POST /api/setup',
  'POST /api/auth/login',
  'GET /api/auth/session',
  'POST /api/users/invites/accept',
  'POST /api/auth/password-reset',
  'OPTIONS *',
  'GET /api/openapi.json',
]);

/** Signed by other means (the HMAC signature), declared public at the HTTP layer. */
const isWebhookRoute = (url: string) => url.startsWith('/api/webhooks/');
/** The web app's static files (not under /api or /v1, not /metrics). */
const isStaticRoute = (url: string) => !url.startsWith('/api/') && !url.startsWith('/v1/') && url !== '/metrics' && url !== '*';

/** True when a route may be public: the reviewed list, webhooks and the web app's files. */
export function mayBePublic(route: Pick<CatalogueRoute, 'method' | 'url'>): boolean {
  return HEARTH_PUBLIC_ROUTES.has(`${route.method} ${route.url}`) || isWebhookRoute(route.url) || isStaticRoute(route.url);
}

/**
 * Routes an attacker tries whether or not the document lists them: the service routes, and files
 * that must never be served (configuration, the database, the source tree).
 */
export const WELL_KNOWN_ROUTES: readonly CatalogueRoute[] = [
  { method: 'GET', url: '/metrics', policy: { access: 'service' } },
  { method: 'GET', url: '/api/observability', policy: { access: 'service' } },
];
export const NEVER_SERVED_FILES: readonly string[] = [
  '/.env',
  '/.git/config',
  '/data/hearth.db',
  '/data/master.key',
  '/package.json',
  '/src/app/hearth.ts',
];

/** The routes of a published OpenAPI document (`/api/openapi.json`), paths back in `:param` form. */
export function routesFromDocument(doc: unknown): CatalogueRoute[] {
  const paths = (doc as { paths?: Record<string, Record<string, { 'x-hearth-policy'?: DocumentedPolicy | null }>> } | null)?.paths;
  if (!paths || typeof paths !== 'object') return [];
  const routes: CatalogueRoute[] = [];
  for (const [path, ops] of Object.entries(paths)) {
    if (!ops || typeof ops !== 'object') continue;
    for (const [method, op] of Object.entries(ops))
      routes.push({
        method: method.toUpperCase(),
        url: path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1'),
        policy: op?.['x-hearth-policy'] ?? null,
      });
  }
  return routes;
}
