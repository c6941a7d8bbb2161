import type { FastifyBaseLogger, FastifyInstance, RawServerDefault } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** The Fastify app every route module registers on (zod schemas, Hearth's logger). */
export type HearthApp = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

/** A unit of routes and hooks; the kernel registers each plugin's in list order, encapsulated. */
export type RouteModule = (app: HearthApp) => Promise<void> | void;
