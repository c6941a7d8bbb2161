import type { ChannelName } from '../../companions/index.js';
import type { AuditLog } from '../../security/audit/index.js';
import type { RateLimiter } from '../../security/ratelimit/index.js';
import { newPersonId, type IdentityLinks } from './identities.js';
import { MESSAGES } from './messages.js';
import type { PairingStore } from './pairing.js';
import type { AccessRules, ChannelSender } from './types.js';

/** Budget names in the shared RateLimiter. */
export const PERSON_BUDGET = 'channel.person';
export const CHANNEL_BUDGET = 'channel.total';

export type Admission =
  | { readonly kind: 'allowed'; readonly userId: string; readonly owner: boolean }
  | { readonly kind: 'pairing'; readonly code: string; readonly reply: string }
  | { readonly kind: 'refused' | 'limited'; readonly reply: string };

export interface AdmissionOptions {
  readonly identities: IdentityLinks;
  readonly pairings: PairingStore;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  readonly rules: (channel: ChannelName) => AccessRules;
}

/** The audit actor for someone writing on a channel. */
export const channelActor = (sender: ChannelSender, userId?: string) => ({
  type: 'channel' as const,
  channel: sender.channel,
  externalId: sender.externalId,
  ...(userId ? { userId } : {}),
});

/** The gate in front of every turn (INVARIANTS 1-3): who may talk, pairing for strangers, budgets. */
export function createAdmission(options: AdmissionOptions) {
  const { identities, pairings, audit, limiter } = options;
  const isOwner = (s: ChannelSender) => options.rules(s.channel).ownerIds.includes(s.externalId);
  const personFor = (s: ChannelSender) =>
    identities.ensure({ channel: s.channel, externalId: s.externalId, userId: newPersonId(), displayName: s.displayName ?? null });

  return {
    isOwner,

    /** Linked, allowlisted or owner; else a pairing code, or a refusal when pairing is off or full. */
    async admit(sender: ChannelSender): Promise<Admission> {
      const rules = options.rules(sender.channel);
      const linked = await identities.find(sender.channel, sender.externalId);
      if (linked) return { kind: 'allowed', userId: linked.userId, owner: isOwner(sender) };
      if (rules.allowedIds.includes(sender.externalId) || isOwner(sender)) {
        return { kind: 'allowed', userId: (await personFor(sender)).userId, owner: isOwner(sender) };
      }
      if (!rules.pairing) {
        await audit.record({
          actor: channelActor(sender),
          action: 'channel.unauthorized',
          outcome: 'denied',
          details: { reason: 'not_allowlisted' },
        });
        return { kind: 'refused', reply: MESSAGES.refused };
      }
      const result = await pairings.request({
        channel: sender.channel,
        externalId: sender.externalId,
        displayName: sender.displayName ?? null,
      });
      if (result.kind === 'full') {
        await audit.record({
          actor: channelActor(sender),
          action: 'channel.pairing.request',
          outcome: 'denied',
          details: { reason: 'too_many_pending' },
        });
        return { kind: 'refused', reply: MESSAGES.pairingFull };
      }
      await audit.record({
        actor: channelActor(sender),
        action: 'channel.pairing.request',
        target: result.pairing.id,
        outcome: 'pending',
        details: { existing: result.kind === 'existing' },
      });
      return { kind: 'pairing', code: result.pairing.code, reply: MESSAGES.pairing(result.pairing.code) };
    },

    /** Someone the platform already vouched for: linked, or given a channel person on first contact. */
    async admitVouched(sender: ChannelSender): Promise<Admission & { kind: 'allowed' }> {
      const linked = await identities.find(sender.channel, sender.externalId);
      return { kind: 'allowed', userId: linked?.userId ?? (await personFor(sender)).userId, owner: isOwner(sender) };
    },

    /** Consumes the per-person, then the per-channel budget; false when either is spent (audited). */
    async consume(sender: ChannelSender, userId: string): Promise<boolean> {
      const person = await limiter.consume(PERSON_BUDGET, `${sender.channel}:${userId}`);
      const total = person.allowed ? await limiter.consume(CHANNEL_BUDGET, sender.channel) : person;
      if (person.allowed && total.allowed) return true;
      await audit.record({
        actor: channelActor(sender, userId),
        action: 'channel.rate_limited',
        outcome: 'denied',
        details: { budget: person.allowed ? CHANNEL_BUDGET : PERSON_BUDGET },
      });
      return false;
    },
  };
}
