import { z } from 'zod';
import type { HearthApp } from '../../core/index.js';
import { policy, type RoutePolicy } from '../policy.js';

/** One registered route as the access walk (AUTH-7) and the OpenAPI document see it. */
interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly policy: RoutePolicy | undefined;
  readonly schema: { body?: unknown; params?: unknown; querystring?: unknown } | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after the armour (and the built-in health route), in order. */
    hearthRoutes: RouteEntry[];
  }
}

function toJsonSchema(schema: unknown): unknown {
  if (schema instanceof z.ZodType) {
    try {
      return z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' });
    } catch {
      return {};
    }
  }
  return schema;
}

/** Collects routes as they are registered and serves the OpenAPI document with each route's policy. */
export function registerCatalogue(app: HearthApp): void {
  const routes: RouteEntry[] = [{ method: 'GET', url: '/api/health', policy: policy.public('liveness probe'), schema: undefined }];
  app.decorate('hearthRoutes', routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === 'HEAD') continue;
      routes.push({
        method,
        url: route.url,
        policy: (route.config as { policy?: RoutePolicy } | undefined)?.policy,
        schema: route.schema as RouteEntry['schema'],
      });
    }
  });
  app.get('/api/openapi.json', { config: { policy: policy.public('API description') } }, async () => {
    const paths: Record<string, Record<string, unknown>> = {};
    for (const r of routes) {
      const path = r.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
      const op: Record<string, unknown> = { 'x-hearth-policy': r.policy ?? null };
      if (r.schema?.body) op.requestBody = { required: true, content: { 'application/json': { schema: toJsonSchema(r.schema.body) } } };
      const params = [...r.url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
        name: m[1],
        in: 'path',
        required: true,
        schema: { type: 'string' },
      }));
      if (params.length) op.parameters = params;
      if (r.policy && r.policy.access !== 'public')
        op.security = r.policy.access === 'service' ? [{ serviceKey: [] }] : [{ apiKey: [] }, { bearer: [] }, { session: [] }];
      (paths[path] ??= {})[r.method.toLowerCase()] = op;
    }
    return {
      openapi: '3.1.0',
      info: { title: 'Hearth', version: '0.1.0' },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
          bearer: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: '__Host-hearth' },
          serviceKey: { type: 'apiKey', in: 'header', name: 'X-Api-Key' },
        },
      },
      paths,
    };
  });
}
