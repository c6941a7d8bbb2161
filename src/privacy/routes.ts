import { z } from 'zod';
import { AppError, hasScope, type Principal, type Role, type RouteModule } from '../core/index.js';
import { policy, requirePrincipal } from '../server/index.js';
import type { AuditActor, AuditLog } from '../security/audit/types.js';
import type { PrivacyService } from './service.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });
const actorOf = (p: Principal): AuditActor =>
  p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };

/** A person privacy can act on: a web account (with its role) or someone known only on a channel (no role). */
interface PrivacyTarget {
  readonly id: string;
  readonly role: Role | null;
}

/** A channel identity as the people listing shows it. */
interface PersonIdentity {
  readonly channel: string;
  readonly externalId: string;
  readonly userId: string;
  readonly displayName: string | null;
  readonly createdAt: number;
}

/** What the people listing reads: web accounts from identity, channel identities from channels (when present). */
interface PeopleSources {
  readonly users: () => Promise<ReadonlyArray<{ id: string; name: string; role: Role; createdAt: number }>>;
  readonly identities: () => Promise<readonly PersonIdentity[]>;
}

/**
 * Who may export or erase whom (DATA-5). A person acts on themselves with `read` (export) or
 * `write` (erase), as the route policy checks. Another person is the owner's business only, and
 * needs the `admin` scope too: an owner's read-only or write-only key reaches no one else's data.
 * Erasing an admin needs the owner's own session (there is no owner scope; a key or JWT is not
 * enough); an owner is never erased. Anyone else gets 404, as if the person did not exist.
 */
async function authorize(p: Principal, id: string, action: 'export' | 'erase', find: (id: string) => Promise<PrivacyTarget | undefined>) {
  if (p.userId === id) {
    if (action === 'erase' && p.role === 'owner')
      throw new AppError('CONFLICT', 'The owner cannot erase themselves; transfer ownership first');
    return;
  }
  if (p.role !== 'owner') throw new AppError('NOT_FOUND', 'User not found');
  const target = await find(id);
  if (!target) throw new AppError('NOT_FOUND', 'User not found');
  if (!hasScope(p, 'admin')) throw new AppError('FORBIDDEN', `Another person's ${action} needs the admin scope`);
  if (action !== 'erase') return;
  if (target.role === 'owner') throw new AppError('CONFLICT', 'An owner cannot be erased; change their role first');
  if (target.role === 'admin' && p.kind !== 'session') throw new AppError('FORBIDDEN', "Erasing an admin needs the owner's own session");
}

/**
 * `GET /api/users/:id/export` and `DELETE /api/users/:id` (DATA-5) for web accounts and for people
 * known only on a channel (`person_…` ids), and `GET /api/people`: every person with their channel
 * identities, for an admin to find the id to export or erase.
 */
export function privacyRoutes(options: {
  privacy: PrivacyService;
  audit: AuditLog;
  findPerson: (id: string) => Promise<PrivacyTarget | undefined>;
  people: PeopleSources;
}): RouteModule {
  const { privacy, audit } = options;
  return (app) => {
    app.get('/api/users/:id/export', { config: { policy: policy.member('read') }, schema: { params } }, async (request) => {
      const p = requirePrincipal(request);
      await authorize(p, request.params.id, 'export', options.findPerson);
      const data = await privacy.exportPerson(request.params.id);
      await audit.record({
        actor: actorOf(p),
        action: 'privacy.export',
        target: `user:${request.params.id}`,
        outcome: 'success',
        requestId: request.id,
      });
      return data;
    });
    app.delete('/api/users/:id', { config: { policy: policy.member('write') }, schema: { params } }, async (request) => {
      const p = requirePrincipal(request);
      await authorize(p, request.params.id, 'erase', options.findPerson);
      return { erased: true, removed: await privacy.erase(request.params.id, actorOf(p), request.id) };
    });
    app.get('/api/people', { config: { policy: policy.admin('read') } }, async () => {
      const [users, identities] = await Promise.all([options.people.users(), options.people.identities()]);
      const byPerson = new Map<string, Array<Omit<PersonIdentity, 'userId'>>>();
      for (const { userId, ...identity } of identities) byPerson.set(userId, [...(byPerson.get(userId) ?? []), identity]);
      const web = users.map((u) => ({
        id: u.id,
        kind: 'web' as const,
        name: u.name,
        role: u.role,
        createdAt: u.createdAt,
        identities: byPerson.get(u.id) ?? [],
      }));
      const known = new Set(users.map((u) => u.id));
      const channelOnly = [...byPerson].flatMap(([id, linked]) =>
        known.has(id)
          ? []
          : [
              {
                id,
                kind: 'channel' as const,
                name: linked.find((i) => i.displayName)?.displayName ?? null,
                role: null,
                createdAt: Math.min(...linked.map((i) => i.createdAt)),
                identities: linked,
              },
            ],
      );
      return { people: [...web, ...channelOnly] };
    });
  };
}
