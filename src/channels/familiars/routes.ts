import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { PLACE, ROUTED_CHANNELS, type FamiliarRouter } from './router.js';
import { TWITCH_BROADCASTER, TWITCH_PREFIX } from './twitch-channels.js';

const routeBody = z.strictObject({
  channel: z.enum(ROUTED_CHANNELS),
  place: z.string().min(1).max(120).regex(PLACE, 'default, or chat:|guild:|channel:|dm:|role:|prefix:|broadcaster: and an id'),
  familiarId: z.string().min(1).max(200).nullable(),
});

/** A Twitch channel to join (familiar by id or slug, prefix like `!luna`), or `familiarId: null` to leave it. */
const twitchBody = z.strictObject({
  broadcasterId: z.string().regex(TWITCH_BROADCASTER, 'the broadcaster’s Twitch user id (digits)'),
  familiarId: z.string().min(1).max(200).nullable(),
  prefix: z.string().regex(TWITCH_PREFIX, 'a command: ! and 1–30 letters, digits or _').optional(),
});

/**
 * `GET /api/channels/familiars` (admin): every route (stored and from HEARTH_CHANNEL_FAMILIARS),
 * the familiars, and who answers by default on each channel; `PUT` sets or (familiarId null) removes one route.
 */
export function familiarRouteRoutes(router: FamiliarRouter): RouteModule {
  return (app) => {
    app.get('/api/channels/familiars', { config: { policy: policy.admin() } }, async () => {
      const [routes, familiars] = await Promise.all([router.list(), router.familiars()]);
      const defaults = await Promise.all(
        ROUTED_CHANNELS.map(async (channel) => ({ channel, familiarId: await router.resolve(channel, []).catch(() => null) })),
      );
      return { routes, familiars, defaults, twitchChannels: await router.twitch.list() };
    });

    // The Twitch channels the bot joins (issue #22); the running bot joins or leaves at once.
    app.get('/api/channels/twitch/channels', { config: { policy: policy.admin() } }, async () => ({
      channels: await router.twitch.list(),
    }));
    app.put('/api/channels/twitch/channels', { config: { policy: policy.admin() }, schema: { body: twitchBody } }, async (request) => {
      const body = twitchBody.parse(request.body);
      const principal = requirePrincipal(request);
      const actor = { type: 'user' as const, id: principal.userId };
      if (body.familiarId === null) {
        await router.twitch.set(body.broadcasterId, null, actor);
        return { channel: null };
      }
      if (!body.prefix)
        throw new AppError('VALIDATION_FAILED', 'A Twitch channel needs its command prefix (e.g. !luna)', { field: 'prefix' });
      if (body.prefix.toLowerCase() === '!familiar' || /^!(memories|why|forget|export)$/i.test(body.prefix))
        throw new AppError('VALIDATION_FAILED', 'That command is taken by Hearth itself', { field: 'prefix' });
      const found = await router.find(body.familiarId);
      if (!found) throw new AppError('NOT_FOUND', 'Familiar not found', { field: 'familiarId' });
      await router.twitch.set(body.broadcasterId, { familiarId: found.id, prefix: body.prefix }, actor);
      return { channel: { broadcasterId: body.broadcasterId, familiarId: found.id, prefix: body.prefix.toLowerCase() } };
    });

    app.put('/api/channels/familiars', { config: { policy: policy.admin() }, schema: { body: routeBody } }, async (request) => {
      const body = routeBody.parse(request.body);
      const principal = requirePrincipal(request);
      if (body.place.startsWith('prefix:') && !/^prefix:![a-z0-9_]{1,30}$/i.test(body.place))
        throw new AppError('VALIDATION_FAILED', 'A Twitch prefix is ! and 1–30 letters, digits or _', { field: 'place' });
      let familiarId: string | null = null;
      if (body.familiarId !== null) {
        const found = await router.find(body.familiarId);
        if (!found) throw new AppError('NOT_FOUND', 'Familiar not found');
        familiarId = found.id;
      }
      await router.set(body.channel, body.place, familiarId, { type: 'user', id: principal.userId });
      return { route: { channel: body.channel, place: body.place, familiarId } };
    });
  };
}
