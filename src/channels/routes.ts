import { z } from 'zod';
import { maskSecret } from '../security/vault/index.js';
import { AppError, defineErrorCodes, type RouteModule } from '../core/index.js';
import { policy, requirePrincipal } from '../server/index.js';
import { registerLinkRoutes } from './links/routes.js';
import type { ChannelsService } from './service.js';

const CHANNELS = ['telegram', 'discord', 'twitch'] as const;
const id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_.:-]+$/, 'letters, digits and _.:- only');
const channelParam = z.strictObject({ name: z.enum(CHANNELS) });
const settingsBody = z.strictObject({
  token: z.string().min(10).max(200).nullable().optional(),
  allowedIds: z.array(id).max(1000).optional(),
  guildIds: z.array(id).max(100).optional(),
  pairing: z.boolean().nullable().optional(),
});
const pairingParam = z.strictObject({ id: z.string().uuid() });
const approveBody = z.strictObject({ userId: id.optional() }).optional();
const linkBody = z.strictObject({
  channel: z.enum(CHANNELS),
  externalId: id,
  userId: id.optional(),
  displayName: z.string().max(100).optional(),
});

/** Why a link made by an admin or the owner is refused (#15); `details.reason` names it. */
const linkErrors = defineErrorCodes({
  OWNER_ONLY: 'FORBIDDEN',
  IDENTITY_ALREADY_LINKED: 'CONFLICT',
  PERSON_NOT_FOUND: 'NOT_FOUND',
});
const OWNER_ONLY_MESSAGE =
  'Only the owner may attach a channel identity to an existing person; the person can link it themselves from their Account page';

/**
 * /api/channels (settings, masked tokens, allowlists, identity links), /api/channels/links (a
 * person's own links, by consent) and /api/pairings (pending codes; approve or deny). Admins read
 * and admit strangers as new channel people; only the owner changes tokens or attaches an identity
 * to an existing person.
 */
export function channelRoutes(service: ChannelsService): RouteModule {
  return (app) => {
    app.get('/api/channels', { config: { policy: policy.admin() } }, async () => {
      const channels = await Promise.all(
        CHANNELS.map(async (name) => {
          const token = await service.settings.token(name);
          const stored = await service.settings.get(name);
          const rules = service.rules(name);
          return {
            name,
            running: service.running(name),
            token: token ? maskSecret(token) : null,
            allowedIds: rules.allowedIds,
            ownerIds: rules.ownerIds,
            pairing: rules.pairing,
            guildIds: [...service.guilds(), ...stored.guildIds.filter((g) => !service.guilds().includes(g))],
            stored,
          };
        }),
      );
      return { channels };
    });

    app.put(
      '/api/channels/:name',
      { config: { policy: policy.owner() }, schema: { params: channelParam, body: settingsBody } },
      async (request) => {
        const { name } = channelParam.parse(request.params);
        const body = settingsBody.parse(request.body);
        const principal = requirePrincipal(request);
        const current = await service.settings.get(name);
        await service.updateSettings(
          name,
          {
            allowedIds: body.allowedIds ?? current.allowedIds,
            guildIds: body.guildIds ?? current.guildIds,
            pairing: body.pairing === undefined ? current.pairing : body.pairing,
          },
          body.token,
          { type: 'user', id: principal.userId },
        );
        const token = await service.settings.token(name);
        return { name, token: token ? maskSecret(token) : null, restartRequired: body.token !== undefined };
      },
    );

    app.get('/api/channels/identities', { config: { policy: policy.admin() } }, async () => ({
      identities: await service.identities.list(),
    }));

    app.post('/api/channels/identities', { config: { policy: policy.admin() }, schema: { body: linkBody } }, async (request, reply) => {
      const body = linkBody.parse(request.body);
      const principal = requirePrincipal(request);
      const by = { type: 'user' as const, id: principal.userId, role: principal.role };
      const ref = { channel: body.channel, externalId: body.externalId, displayName: body.displayName ?? null };
      const result =
        body.userId === undefined ? await service.hub.linking.toNewPerson(ref, by) : await service.hub.linking.attach(ref, body.userId, by);
      if (result.kind === 'forbidden') throw linkErrors.create('OWNER_ONLY', OWNER_ONLY_MESSAGE);
      if (result.kind === 'unknown_person') throw linkErrors.create('PERSON_NOT_FOUND', 'No person has that id');
      if (result.kind !== 'ok')
        throw linkErrors.create('IDENTITY_ALREADY_LINKED', 'That channel identity already speaks as a person; only the owner may move it');
      return reply.status(201).send({ identity: await service.identities.find(body.channel, body.externalId) });
    });

    registerLinkRoutes(app, service.hub.linking, service.identities);

    app.get('/api/pairings', { config: { policy: policy.admin() } }, async () => ({ pairings: await service.hub.pending() }));

    for (const verb of ['approve', 'deny'] as const) {
      app.post(
        `/api/pairings/:id/${verb}`,
        { config: { policy: policy.admin() }, schema: { params: pairingParam, body: approveBody } },
        async (request) => {
          const { id: pairingId } = pairingParam.parse(request.params);
          const body = approveBody.parse(request.body ?? undefined);
          const principal = requirePrincipal(request);
          const result = await service.hub.decide(
            { id: pairingId },
            verb === 'approve' ? 'approved' : 'denied',
            { type: 'user', id: principal.userId, role: principal.role },
            verb === 'approve' ? body?.userId : undefined,
          );
          if (result.kind === 'not_found') throw new AppError('NOT_FOUND', 'Pairing request not found');
          if (result.kind === 'expired') throw new AppError('GONE', 'Pairing code expired');
          if (result.kind === 'forbidden') throw linkErrors.create('OWNER_ONLY', OWNER_ONLY_MESSAGE);
          if (result.kind === 'unknown_person') throw linkErrors.create('PERSON_NOT_FOUND', 'No person has that id');
          if (result.kind !== 'ok') throw new AppError('CONFLICT', 'Pairing request already decided');
          return { pairing: result.pairing };
        },
      );
    }
  };
}
