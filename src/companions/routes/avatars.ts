import { z } from 'zod';
import type { HearthApp, Principal, RouteModule } from '../../core/index.js';
import { AppError } from '../../core/index.js';
import { policy, requirePrincipal } from '../../server/index.js';
import type { AuditActor } from '../../security/audit/index.js';
import { AVATAR_MAX_BYTES, avatarErrors, cleanAvatarImage, type AvatarStore } from '../avatars.js';
import type { FamiliarService } from '../familiars.js';

const params = z.strictObject({ id: z.string().min(1).max(100) });

function actorOf(p: Principal): AuditActor {
  return p.kind === 'api_key' ? { type: 'api_key', id: p.credentialId, userId: p.userId } : { type: 'user', id: p.userId };
}

/**
 * A familiar's avatar: admins upload the image's raw bytes (`PUT`, any content type: the type is
 * read from the bytes) or remove it; whoever may chat with the familiar fetches it. Served as a
 * picture only: the checked type, nosniff, a sandboxing CSP and no inline rendering of anything else.
 */
export function avatarRoutes(deps: { familiars: FamiliarService; avatars: AvatarStore }): RouteModule {
  const { familiars, avatars } = deps;
  const reachable = async (request: { params: { id: string } }, p: Principal) => {
    const f = await familiars.get(request.params.id);
    if (!f || !familiars.canUse(f, { userId: p.userId, role: p.role })) throw new AppError('NOT_FOUND', 'Familiar not found');
    return f;
  };
  return async (app) => {
    await app.register(async (scope: HearthApp) => {
      // The upload is read as bytes whatever it claims to be (checked after the policy, so a stranger learns nothing).
      scope.removeAllContentTypeParsers();
      const bodyLimit = AVATAR_MAX_BYTES + 1;
      scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
      scope.put('/api/familiars/:id/avatar', { config: { policy: policy.admin() }, bodyLimit, schema: { params } }, async (request) => {
        const p = requirePrincipal(request);
        await reachable(request, p);
        if (!Buffer.isBuffer(request.body) || request.body.length === 0)
          throw avatarErrors.create('AVATAR_TYPE', 'Send the image file itself as the request body');
        const image = cleanAvatarImage(request.body);
        const hash = await avatars.put(request.params.id, image, actorOf(p));
        return { avatarHash: hash, type: image.mime, bytes: image.bytes.length, width: image.width, height: image.height };
      });
    });
    app.get('/api/familiars/:id/avatar', { config: { policy: policy.member('read') }, schema: { params } }, async (request, reply) => {
      await reachable(request, requirePrincipal(request));
      const avatar = await avatars.get(request.params.id);
      if (!avatar) throw avatarErrors.create('AVATAR_NOT_FOUND', 'This familiar has no avatar');
      return reply
        .header('content-type', avatar.mime)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "default-src 'none'; sandbox")
        .header('content-disposition', `inline; filename="avatar.${avatar.mime.slice(6)}"`)
        .header('cross-origin-resource-policy', 'same-origin')
        .header('cache-control', 'private, max-age=86400')
        .header('etag', `"${avatar.hash}"`)
        .send(avatar.bytes);
    });
    app.delete('/api/familiars/:id/avatar', { config: { policy: policy.admin() }, schema: { params } }, async (request) => {
      const p = requirePrincipal(request);
      await reachable(request, p);
      await avatars.remove(request.params.id, actorOf(p));
      return { removed: true };
    });
  };
}
