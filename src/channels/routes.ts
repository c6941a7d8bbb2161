import { z } from 'zod';
import { maskSecret } from '../security/vault/index.js';
import { AppError, type RouteModule } from '../core/index.js';
import { policy, requirePrincipal } from '../server/index.js';
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
const linkBody = z.strictObject({ channel: z.enum(CHANNELS), externalId: id, userId: id });

/**
 * /api/channels (settings, masked tokens, allowlists, identity links) and /api/pairings
 * (pending codes; approve or deny). Admins read and decide; only the owner changes tokens.
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

    app.post('/api/channels/identities', { config: { policy: policy.admin() }, schema: { body: linkBody } }, async (request) => {
      const body = linkBody.parse(request.body);
      const principal = requirePrincipal(request);
      const identity = await service.identities.link({ channel: body.channel, externalId: body.externalId, userId: body.userId });
      await service.audit.record({
        actor: { type: 'user', id: principal.userId },
        action: 'channel.identity.link',
        target: `${body.channel}:${body.externalId}`,
        outcome: 'success',
        details: { userId: body.userId },
      });
      return { identity };
    });

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
            { type: 'user', id: principal.userId },
            verb === 'approve' ? body?.userId : undefined,
          );
          if (result.kind === 'not_found') throw new AppError('NOT_FOUND', 'Pairing request not found');
          if (result.kind === 'expired') throw new AppError('GONE', 'Pairing code expired');
          if (result.kind !== 'ok') throw new AppError('CONFLICT', 'Pairing request already decided');
          return { pairing: result.pairing };
        },
      );
    }
  };
}
