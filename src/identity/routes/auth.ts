import { z } from 'zod';
import type { Config } from '../../config/index.js';
import { csrfTokenFor } from '../../security/csrf/index.js';
import { AppError, type HearthApp } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { sessionTokenOf } from '../authenticator.js';
import type { IdentityService } from '../service.js';
import { clearSessionCookie, setSessionCookie } from './cookies.js';

const credentials = z.strictObject({ name: z.string().min(1).max(64), password: z.string().min(1).max(1024) });

/** /api/setup and /api/auth/*: first owner, login, logout, session check, session list, password change and reset. */
export function registerAuthRoutes(app: HearthApp, deps: { identity: IdentityService; config: Config }): void {
  const { identity } = deps;
  const maxAge = deps.config.HEARTH_SESSION_ABSOLUTE_HOURS * 3600;

  app.post(
    '/api/setup',
    {
      config: { policy: policy.public('first-run owner creation with the one-time setup token') },
      schema: { body: credentials.extend({ token: z.string().min(1).max(128) }).strict() },
    },
    async (request, reply) => {
      const { token, name, password } = request.body;
      const user = await identity.completeSetup(token, name, password);
      const session = await identity.createSession(user.id, { ip: request.ip, userAgent: request.headers['user-agent'] ?? '' });
      setSessionCookie(reply, session.token, maxAge);
      return reply.status(201).send({ user, csrfToken: csrfTokenFor(session.token) });
    },
  );

  app.get('/api/setup', { config: { policy: policy.public('whether first-run setup is still open') } }, async () => ({
    needed: !(await identity.hasOwner()),
  }));

  app.post('/api/auth/login', { config: { policy: policy.public('login') }, schema: { body: credentials } }, async (request, reply) => {
    const { name, password } = request.body;
    // A new session id at every login (no fixation): any cookie sent along is ignored and replaced.
    const { user, token } = await identity.login({
      name,
      password,
      ip: request.ip,
      userAgent: request.headers['user-agent'] ?? '',
      requestId: request.id,
    });
    setSessionCookie(reply, token, maxAge);
    return { user, csrfToken: csrfTokenFor(token) };
  });

  app.get('/api/auth/session', { config: { policy: policy.public('session check for the web app') } }, async (request) => {
    const principal = request.principal;
    if (!principal) return { user: null };
    const user = await identity.findUserById(principal.userId);
    const token = principal.kind === 'session' ? sessionTokenOf(request) : undefined;
    return { user: user ?? null, kind: principal.kind, ...(token ? { csrfToken: csrfTokenFor(token) } : {}) };
  });

  app.post('/api/auth/logout', { config: { policy: policy.member('read') } }, async (request, reply) => {
    const principal = requirePrincipal(request);
    if (principal.kind === 'session') await identity.revokeSession(principal.userId, principal.credentialId);
    clearSessionCookie(reply);
    return reply.status(204).send();
  });

  app.get('/api/auth/sessions', { config: { policy: policy.member('read') } }, async (request) => {
    const principal = requirePrincipal(request);
    const sessions = await identity.listSessions(principal.userId);
    return { sessions: sessions.map((s) => ({ ...s, current: principal.kind === 'session' && s.id === principal.credentialId })) };
  });

  app.delete(
    '/api/auth/sessions/:id',
    { config: { policy: policy.member('write') }, schema: { params: z.object({ id: z.string().max(64) }) } },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      if (!(await identity.revokeSession(principal.userId, request.params.id))) throw new AppError('NOT_FOUND', 'Session not found');
      return reply.status(204).send();
    },
  );

  app.post('/api/auth/sessions/revoke-all', { config: { policy: policy.member('write') } }, async (request) => {
    const principal = requirePrincipal(request);
    const revoked = await identity.revokeAllSessions(principal.userId, 'revoke_all');
    return { revoked };
  });

  app.post(
    '/api/auth/password',
    {
      config: { policy: policy.member('write') },
      schema: { body: z.strictObject({ current: z.string().min(1).max(1024), next: z.string().min(1).max(1024) }) },
    },
    async (request) => {
      const principal = requirePrincipal(request);
      if (principal.kind !== 'session') throw new AppError('FORBIDDEN', 'Change your password from a signed-in browser session');
      // Every other session ends (AUTH-2); the one making the change stays signed in. A wrong current
      // password counts against the login failure budget (AUTH-3).
      await identity.changePassword(principal.userId, request.body.current, request.body.next, {
        keepSessionId: principal.credentialId,
        ip: request.ip,
        requestId: request.id,
      });
      return { ok: true };
    },
  );

  app.post(
    '/api/auth/password-reset',
    {
      config: { policy: policy.public('setting a new password with a one-time reset link from an owner') },
      schema: { body: z.strictObject({ token: z.string().min(1).max(128), password: z.string().min(1).max(1024) }) },
    },
    async (request) => {
      // Every session of the person ends, this browser's included: they sign in with the new password.
      const user = await identity.completePasswordReset(request.body.token, request.body.password, {
        ip: request.ip,
        requestId: request.id,
      });
      return { ok: true, name: user.name };
    },
  );
}
