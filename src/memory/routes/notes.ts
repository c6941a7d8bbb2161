import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { NotesScope, NotesStore } from '../notes/index.js';
import { actorOf, mapped } from './errors.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });
const userId = z.string().min(1).max(100).optional();
const listQuery = z.strictObject({ folder: z.string().max(1024).optional(), userId });
const pathQuery = z.strictObject({ path: z.string().min(1).max(1024), userId });
const searchQuery = z.strictObject({ q: z.string().min(1).max(200), userId });
const writeBody = z.strictObject({
  path: z.string().min(1).max(1024),
  content: z.string().max(256 * 1024),
  mode: z.enum(['replace', 'append']).optional(),
});

/**
 * `/api/familiars/:id/notes` (admins): the familiar's shared notes, or with `userId` the notes it
 * keeps about one person. Every path goes through the notes store (MEM-1).
 */
export function notesRoutes(options: { notes: NotesStore; familiarExists: (id: string) => Promise<boolean> }): RouteModule {
  const { notes } = options;
  async function scopeOf(familiarId: string, user: string | undefined): Promise<NotesScope> {
    if (!(await options.familiarExists(familiarId))) throw new AppError('NOT_FOUND', 'Familiar not found');
    return { familiarId, userId: user ?? null };
  }
  return (app) => {
    const admin = { policy: policy.admin() };
    app.get('/api/familiars/:id/notes', { config: admin, schema: { params, querystring: listQuery } }, async (request) => {
      const scope = await scopeOf(request.params.id, request.query.userId);
      return { notes: await mapped(() => notes.list(scope, request.query.folder)) };
    });
    app.get('/api/familiars/:id/notes/content', { config: admin, schema: { params, querystring: pathQuery } }, async (request) => {
      const scope = await scopeOf(request.params.id, request.query.userId);
      return { path: request.query.path, content: await mapped(() => notes.read(scope, request.query.path)) };
    });
    app.get('/api/familiars/:id/notes/search', { config: admin, schema: { params, querystring: searchQuery } }, async (request) => {
      const scope = await scopeOf(request.params.id, request.query.userId);
      return { matches: await mapped(() => notes.search(scope, request.query.q)) };
    });
    app.put(
      '/api/familiars/:id/notes/content',
      { config: admin, schema: { params, querystring: z.strictObject({ userId }), body: writeBody } },
      async (request) => {
        const scope = await scopeOf(request.params.id, request.query.userId);
        const by = { actor: actorOf(requirePrincipal(request)), source: 'admin' as const, requestId: request.id };
        const { path, content, mode } = request.body;
        return mapped(() => (mode === 'append' ? notes.append(scope, path, content, by) : notes.write(scope, path, content, by)));
      },
    );
    app.delete(
      '/api/familiars/:id/notes/content',
      { config: admin, schema: { params, querystring: pathQuery } },
      async (request, reply) => {
        const scope = await scopeOf(request.params.id, request.query.userId);
        await mapped(() =>
          notes.delete(scope, request.query.path, { actor: actorOf(requirePrincipal(request)), source: 'admin', requestId: request.id }),
        );
        return reply.status(204).send();
      },
    );
  };
}
