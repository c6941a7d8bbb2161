import { z } from 'zod';
import type { Principal, RouteModule } from '../../core/index.js';
import type { AuditActor } from '../../security/audit/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import { familiarBotErrors, type FamiliarBots } from './familiar-bots.js';

const params = z.strictObject({ familiarId: z.string().min(1).max(200) });
/** Only the length is checked by the schema: the shape is checked in the handler, so no validation message can echo the token. */
const body = z.strictObject({ token: z.string().min(1).max(200) });

const actorOf = (p: Principal): AuditActor =>
  p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };

/**
 * `/api/channels/telegram/bots` (admin; CSRF for sessions, as every write): a familiar's own Telegram
 * bot. `PUT …/:familiarId {token}` checks the token with Telegram, seals it and starts the bot; `DELETE`
 * stops it. Answers never carry the token, only the bot's id and username.
 */
export function familiarBotRoutes(bots: FamiliarBots): RouteModule {
  return (app) => {
    const admin = { policy: policy.admin() };
    app.get('/api/channels/telegram/bots', { config: admin }, async () => ({ bots: await bots.list() }));
    app.put('/api/channels/telegram/bots/:familiarId', { config: admin, schema: { params, body } }, async (request) => {
      const { familiarId } = params.parse(request.params);
      const { token } = body.parse(request.body);
      return { bot: await bots.add(familiarId, token.trim(), actorOf(requirePrincipal(request))) };
    });
    app.delete('/api/channels/telegram/bots/:familiarId', { config: admin, schema: { params } }, async (request, reply) => {
      const { familiarId } = params.parse(request.params);
      if (!(await bots.remove(familiarId, actorOf(requirePrincipal(request)))))
        throw familiarBotErrors.create('BOT_NOT_FOUND', 'This familiar has no bot of its own');
      return reply.status(204).send();
    });
  };
}
