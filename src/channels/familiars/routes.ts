import { z } from 'zod';
import { AppError, type RouteModule } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { PLACE, ROUTED_CHANNELS, type FamiliarRouter } from './router.js';

const routeBody = z.strictObject({
  channel: z.enum(ROUTED_CHANNELS),
  place: z.string().min(1).max(120).regex(PLACE, 'default, or chat:|guild:|channel:|dm:|role:|prefix:|broadcaster: and an id'),
  familiarId: z.string().min(1).max(200).nullable(),
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
      return { routes, familiars, defaults };
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
