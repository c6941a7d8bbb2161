import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { AppError, type Authenticator, type Gauge, type HearthApp, type RouteModule } from '../core/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { checkRouteDeclaration, enforcePolicy, serviceKeyMatches } from './access.js';
import { failRerouted, HearthLogController, rerouteFrameworkError } from './early-failure.js';
import { handleError } from './error-handler.js';
import { httpArmour, type ArmourLimiter } from './plugins/index.js';
import { requestIdFrom, requestLogContext } from './request-id.js';

export interface ServerOptions {
  readonly config: Pick<
    Config,
    'HEARTH_BODY_LIMIT' | 'HEARTH_TRUSTED_PROXIES' | 'HEARTH_TLS_CERT_FILE' | 'HEARTH_TLS_KEY_FILE' | 'HEARTH_SERVICE_KEY'
  > &
    Partial<Pick<Config, 'HEARTH_ALLOWED_ORIGINS'>>;
  readonly logger: Logger;
  /** Resolves the caller; without one, every signed route answers 401. */
  readonly authenticate?: Authenticator;
  /**
   * With a limiter, the armour (security headers, CORS, rate limits, metrics; HTTP-1/2/3/7) is
   * registered on the root before any module, so it covers every route.
   */
  readonly limiter?: ArmourLimiter;
  /** Registered in order, inside the policy and error handling, each encapsulated. */
  readonly modules?: readonly RouteModule[];
  /** The plugins' gauges, read at every /metrics scrape. */
  readonly gauges?: () => readonly Gauge[];
  /** This replica's id: a label on every /metrics series, and in /api/health's detail for the service key. */
  readonly replica?: string;
}

/** V8's default `--semi-space-growth-factor`. */
const YOUNG_GENERATION_GROWTH = 2;

const noCredentials: Authenticator = async () => null;

/**
 * Every schema is zod (the same compilers are set on the app below), so Fastify's default
 * compilers (ajv and fast-json-stringify, ~100 modules and a tenth of a second at start) are
 * never built. Fastify types these factories for ajv, hence the cast.
 */
const ZOD_COMPILERS = { buildValidator: () => validatorCompiler, buildSerializer: () => serializerCompiler } as unknown as NonNullable<
  NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
>;

/** Builds the Fastify app: request ids, policy enforcement, strict schemas, one error handler. */
export async function createServer(options: ServerOptions): Promise<HearthApp> {
  const { config } = options;
  const tls =
    config.HEARTH_TLS_CERT_FILE && config.HEARTH_TLS_KEY_FILE
      ? { https: { cert: readFileSync(config.HEARTH_TLS_CERT_FILE), key: readFileSync(config.HEARTH_TLS_KEY_FILE) } }
      : {};
  const app = Fastify({
    loggerInstance: options.logger,
    bodyLimit: config.HEARTH_BODY_LIMIT,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    logController: new HearthLogController({ requestIdLogLabel: 'requestId' }),
    // A URL the router cannot decode is answered like every other failure (HTTP-1, HTTP-4, HTTP-5).
    frameworkErrors: rerouteFrameworkError(() => app),
    trustProxy: config.HEARTH_TRUSTED_PROXIES.length > 0 ? [...config.HEARTH_TRUSTED_PROXIES] : false,
    onProtoPoisoning: 'error',
    onConstructorPoisoning: 'error',
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    routerOptions: { maxParamLength: 200 },
    schemaController: { compilersFactory: ZOD_COMPILERS },
    ...tls,
  }) as unknown as HearthApp;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorateRequest('principal', null);
  app.addHook('onRoute', (route) => checkRouteDeclaration(route));
  app.addHook('onRequest', async (request, reply) => {
    void reply.header('x-request-id', request.id);
  });
  // Every line logged while a request is handled carries its id, through any logger (HTTP-4).
  const logContext = requestLogContext(options.logger);
  app.addHook('onRequest', logContext.onRequest);
  app.addHook('preValidation', logContext.preValidation);
  const authenticate = options.authenticate ?? noCredentials;
  // preValidation: after the anonymous rate limit (onRequest), before the body is validated, so an
  // unauthenticated caller gets 401 rather than learning a route's schema (AUTH-7).
  app.addHook('preValidation', async (request) => {
    await enforcePolicy(request, authenticate, config.HEARTH_SERVICE_KEY);
  });
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    handleError(new AppError('NOT_FOUND', 'Not found'), request, reply);
  });

  // Anyone gets the status; the operator's service key also gets which replica answered (behind a load balancer).
  const started = Date.now();
  app.get('/api/health', { config: { policy: { access: 'public', why: 'liveness probe' } } }, async (request) => {
    const key = request.headers['x-api-key'];
    if (!options.replica || !config.HEARTH_SERVICE_KEY || !serviceKeyMatches(Array.isArray(key) ? key[0] : key, config.HEARTH_SERVICE_KEY))
      return { status: 'ok' };
    return { status: 'ok', detail: { replica: options.replica, pid: process.pid, uptimeSec: Math.round((Date.now() - started) / 1000) } };
  });

  if (options.limiter)
    await httpArmour({
      allowedOrigins: config.HEARTH_ALLOWED_ORIGINS ?? [],
      limiter: options.limiter,
      prometheus: Boolean(config.HEARTH_SERVICE_KEY),
      gauges: options.gauges ?? (() => []),
      ...(options.replica ? { replica: options.replica } : {}),
    })(app);
  // After the armour's hooks, so the rerouted request already carries its headers and was counted.
  app.addHook('onRequest', failRerouted);
  for (const register of options.modules ?? []) await app.register(async (scope) => register(scope as HearthApp));
  // `hearth start` holds the young generation at its size while starting (bin/hearth.js: idle memory);
  // listening, the server lets it grow again (V8's default factor), so a busy server collects no more often.
  app.addHook('onListen', () => setFlagsFromString(`--semi-space-growth-factor=${YOUNG_GENERATION_GROWTH}`));
  await app.ready();
  return app;
}
