import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, type HearthApp, type RouteModule } from '../core/index.js';
import { policy } from '../server/index.js';
import { WEB_APP_CSP } from './csp.js';

/** Where `vite build` writes the web app (web/dist at the project root). */
const DEFAULT_WEB_DIST = resolve(fileURLToPath(new URL('../../web/dist', import.meta.url)));

/** Hashed build output never changes under the same name, so browsers may keep it for a year. */
export const IMMUTABLE_CACHE = 'public, max-age=31536000, immutable';
/** index.html and unhashed files are revalidated on every load so a new build shows at once. */
const REVALIDATE_CACHE = 'no-cache';

export interface WebAppOptions {
  /** The built app (defaults to web/dist). */
  readonly distDir?: string;
}

/** True when a build exists (index.html in the dist folder). */
export function hasWebBuild(distDir: string = DEFAULT_WEB_DIST): boolean {
  return existsSync(join(distDir, 'index.html'));
}

/** Paths the single-page fallback must never answer: the APIs keep their own 404s. */
function isApiPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return /^\/(api|v1|metrics)(\/|$)/.test(path);
}

function topLevelFiles(distDir: string): Set<string> {
  return new Set(readdirSync(distDir).filter((name) => name !== 'index.html' && statSync(join(distDir, name)).isFile()));
}

function securePage(reply: FastifyReply): FastifyReply {
  if (!reply.hasHeader('content-security-policy')) void reply.header('content-security-policy', WEB_APP_CSP);
  if (!reply.hasHeader('x-content-type-options')) void reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('x-frame-options')) void reply.header('x-frame-options', 'DENY');
  if (!reply.hasHeader('referrer-policy')) void reply.header('referrer-policy', 'strict-origin-when-cross-origin');
  return reply;
}

/**
 * Serves the built web app: hashed assets with a long cache, a few top-level files, and
 * index.html for every other GET outside /api and /v1 (the app routes in the browser).
 */
export function webAppRoutes(options: WebAppOptions = {}): RouteModule {
  const distDir = options.distDir ?? DEFAULT_WEB_DIST;
  return async (app: HearthApp) => {
    const indexHtml = readFileSync(join(distDir, 'index.html'));
    const files = topLevelFiles(distDir);
    // Loaded with the server, not with the module: a CLI command that opens Hearth never needs it.
    const { default: fastifyStatic } = await import('@fastify/static');
    await app.register(fastifyStatic, { root: distDir, serve: false, dotfiles: 'deny', index: false, cacheControl: false });

    const sendIndex = (reply: FastifyReply) =>
      securePage(reply).header('cache-control', REVALIDATE_CACHE).type('text/html; charset=utf-8').send(indexHtml);

    app.get<{ Params: { '*': string } }>('/assets/*', { config: { policy: policy.public('web app') } }, async (request, reply) => {
      const name = request.params['*'];
      if (!/^[\w.-]+$/.test(name) || !existsSync(join(distDir, 'assets', name))) throw new AppError('NOT_FOUND', 'Not found');
      return securePage(reply).header('cache-control', IMMUTABLE_CACHE).sendFile(join('assets', name));
    });

    app.get<{ Params: { '*': string } }>(
      '/*',
      { config: { policy: policy.public('web app') } },
      async (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
        if (isApiPath(request.url)) throw new AppError('NOT_FOUND', 'Not found');
        const name = request.params['*'];
        if (files.has(name)) return securePage(reply).header('cache-control', REVALIDATE_CACHE).sendFile(name);
        return sendIndex(reply);
      },
    );
  };
}
