import { z } from 'zod';
import { defineErrorCodes, type HearthApp, type Principal } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { IdentityLinks, Linking } from '../core/index.js';

const CHANNELS = ['telegram', 'discord', 'twitch'] as const;
/** Nothing to send: the code is always for the caller (an attempt to name someone else is a 400). */
const noBody = z.strictObject({}).nullish();
const codeBody = z.strictObject({ code: z.string().min(4).max(32) });
const identityParams = z.strictObject({ channel: z.enum(CHANNELS), externalId: z.string().min(1).max(64) });

const errors = defineErrorCodes({
  LINK_NEEDS_SESSION: 'FORBIDDEN',
  LINK_CODE_INVALID: 'NOT_FOUND',
  LINK_RATE_LIMITED: 'RATE_LIMITED',
  IDENTITY_NOT_YOURS: 'NOT_FOUND',
});

/**
 * Linking needs the person signed in on the web, not a key: a stolen or leaked key must not be
 * able to give some chat account lasting access to the person's memories after it is revoked.
 */
function signedInPerson(principal: Principal): string {
  if (principal.kind !== 'session') throw errors.create('LINK_NEEDS_SESSION', 'Link chat accounts from a signed-in browser session');
  return principal.userId;
}

const invalid = () => errors.create('LINK_CODE_INVALID', 'That link code is not valid or has expired');
const limited = () => errors.create('LINK_RATE_LIMITED', 'Too many link attempts; wait a few minutes');

/**
 * /api/channels/links: a person's own chat accounts (#15). Issue a code to send from the channel
 * (`/link CODE`), or check and enter a code the channel gave (`/link`), and unlink. Always for the
 * caller themself: no route here takes a person id.
 */
export function registerLinkRoutes(app: HearthApp, linking: Linking, identities: IdentityLinks): void {
  app.get('/api/channels/links', { config: { policy: policy.member('read') } }, async (request) => ({
    identities: await identities.list({ userId: requirePrincipal(request).userId }),
  }));

  app.post('/api/channels/links/code', { config: { policy: policy.member('write') }, schema: { body: noBody } }, async (request, reply) => {
    noBody.parse(request.body ?? undefined);
    const issued = await linking.issueWebCode(signedInPerson(requirePrincipal(request)));
    return reply.status(201).send({ ...issued, command: `/link ${issued.code}` });
  });

  app.post('/api/channels/links/preview', { config: { policy: policy.member('write') }, schema: { body: codeBody } }, async (request) => {
    const result = await linking.preview(signedInPerson(requirePrincipal(request)), codeBody.parse(request.body).code);
    if (result.kind === 'limited') throw limited();
    if (result.kind !== 'ok') throw invalid();
    return { channel: result.channel, externalId: result.externalId, displayName: result.displayName, linkedToYou: result.linkedToYou };
  });

  app.post('/api/channels/links/claim', { config: { policy: policy.member('write') }, schema: { body: codeBody } }, async (request) => {
    const userId = signedInPerson(requirePrincipal(request));
    const result = await linking.claim(userId, codeBody.parse(request.body).code);
    if (result.kind === 'limited') throw limited();
    if (result.kind !== 'ok') throw invalid();
    return { identities: await identities.list({ userId }) };
  });

  app.delete(
    '/api/channels/links/:channel/:externalId',
    { config: { policy: policy.member('write') }, schema: { params: identityParams } },
    async (request, reply) => {
      const { channel, externalId } = identityParams.parse(request.params);
      if (!(await linking.unlinkOwn(requirePrincipal(request).userId, { channel, externalId })))
        throw errors.create('IDENTITY_NOT_YOURS', 'You have no such chat account');
      return reply.status(204).send();
    },
  );
}
