import type { Principal } from '../core/index.js';
import type { AuditActor } from '../security/audit/types.js';

/** The audit actor for a signed-in caller. */
export function actorOf(principal: Principal): AuditActor {
  return principal.kind === 'api_key'
    ? { type: 'api_key', id: principal.credentialId, userId: principal.userId }
    : { type: 'user', id: principal.userId };
}
