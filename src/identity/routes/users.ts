import { z } from 'zod';
import { AppError, ROLES, type HearthApp, type Role } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { IdentityService } from '../service.js';

const role = z.enum(ROLES as [Role, ...Role[]]);
const userId = z.object({ id: z.string().min(1).max(64) });

/** /api/users: list, create, change role, invite, password-reset links (AUTH-7). Export and erasure live with memory (DATA-5). */
export function registerUserRoutes(app: HearthApp, deps: { identity: IdentityService }): void {
  const { identity } = deps;

  app.get('/api/users', { config: { policy: policy.admin('read') } }, async () => ({ users: await identity.listUsers() }));

  app.post(
    '/api/users',
    {
      config: { policy: policy.admin() },
      schema: { body: z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024), role }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      if (request.body.role === 'owner' && principal.role !== 'owner') throw new AppError('FORBIDDEN', 'Only an owner may create an owner');
      const user = await identity.createUser({ ...request.body, actorId: principal.userId });
      return reply.status(201).send({ user });
    },
  );

  app.put(
    '/api/users/:id/role',
    { config: { policy: policy.admin() }, schema: { params: userId, body: z.strictObject({ role }) } },
    async (request) => {
      const principal = requirePrincipal(request);
      const target = await identity.findUserById(request.params.id);
      if (!target) throw new AppError('NOT_FOUND', 'User not found');
      // Only owners touch owners or grant ownership; admins manage members and admins.
      if ((target.role === 'owner' || request.body.role === 'owner') && principal.role !== 'owner')
        throw new AppError('FORBIDDEN', 'Only an owner may change ownership');
      return { user: await identity.setRole(target.id, request.body.role, principal.userId) };
    },
  );

  // AUTH-6: which token subject signs in as this person; the owner's alone, like attaching a chat account.
  app.post(
    '/api/users/:id/jwt-subjects',
    {
      config: { policy: policy.owner() },
      schema: { params: userId, body: z.strictObject({ issuer: z.string().min(1).max(500), subject: z.string().min(1).max(255) }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      await identity.linkJwtSubject(request.params.id, request.body.subject, { issuer: request.body.issuer, actorId: principal.userId });
      return reply.status(204).send();
    },
  );

  app.post('/api/users/:id/password-reset', { config: { policy: policy.owner() }, schema: { params: userId } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    const reset = await identity.issuePasswordReset(request.params.id, principal.userId);
    // Like invites, the token travels in the URL fragment, which browsers never send to servers or logs.
    return reply.status(201).send({
      id: reset.id,
      userId: reset.user.id,
      name: reset.user.name,
      token: reset.token,
      expiresAt: reset.expiresAt,
      path: `/reset-password#token=${reset.token}`,
    });
  });

  app.post(
    '/api/users/invites',
    {
      config: { policy: policy.admin() },
      schema: { body: z.strictObject({ role, ttlHours: z.number().int().min(1).max(720).optional() }) },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const ttl = request.body.ttlHours === undefined ? undefined : request.body.ttlHours * 3_600_000;
      const invite = await identity.issueInvite(request.body.role, principal.userId, ttl);
      // The token travels in the URL fragment, which browsers never send to servers or logs.
      return reply.status(201).send({ id: invite.id, token: invite.token, expiresAt: invite.expiresAt, path: `/#invite=${invite.token}` });
    },
  );

  app.post(
    '/api/users/invites/accept',
    {
      config: { policy: policy.public('accepting a single-use invite') },
      schema: {
        body: z.strictObject({ token: z.string().min(1).max(128), name: z.string().min(1).max(64), password: z.string().min(1).max(1024) }),
      },
    },
    async (request, reply) => {
      const user = await identity.acceptInvite(request.body.token, request.body.name, request.body.password);
      return reply.status(201).send({ user });
    },
  );
}
