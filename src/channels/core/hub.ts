import type { ChannelName, TurnRunner } from '../../companions/index.js';
import type { Logger } from '../../logging/index.js';
import type { AuditLog } from '../../security/audit/index.js';
import type { RateLimiter } from '../../security/ratelimit/index.js';
import { newPersonId, type IdentityLinks } from './identities.js';
import { MESSAGES } from './messages.js';
import type { Pairing, PairingDecision, PairingStore } from './pairing.js';
import type { SecretScrubber } from './secrets.js';
import type { AccessRules, ChannelSender } from './types.js';

/** Budget names in the shared RateLimiter. */
export const PERSON_BUDGET = 'channel.person';
export const CHANNEL_BUDGET = 'channel.total';

export type Admission =
  | { readonly kind: 'allowed'; readonly userId: string; readonly owner: boolean }
  | { readonly kind: 'pairing'; readonly code: string; readonly reply: string }
  | { readonly kind: 'refused' | 'limited'; readonly reply: string };

export interface ChannelHubOptions {
  readonly identities: IdentityLinks;
  readonly pairings: PairingStore;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  readonly turns: TurnRunner | undefined;
  /** Access rules per channel. */
  readonly rules: (channel: ChannelName) => AccessRules;
  readonly familiarId: (channel: ChannelName) => string | Promise<string>;
  /** Sends a note to a person once approved (the adapter's deliver). */
  readonly notify?: (channel: ChannelName, externalId: string, text: string) => Promise<void>;
}

/** The shared core every adapter calls: admission (allowlist, pairing, limits), approval, the turn. */
export interface ChannelHub {
  admit(sender: ChannelSender): Promise<Admission>;
  /**
   * Admits someone already vouched for by the platform side (a member of an allowlisted Discord
   * guild with the required role, a viewer in the Twitch channel): linked or given a channel person.
   */
  admitMember(sender: ChannelSender): Promise<Admission & { kind: 'allowed' }>;
  /** Consumes the per-person and per-channel budgets; false when either is spent (audited). */
  consume(sender: ChannelSender, userId: string): Promise<boolean>;
  decide(ref: { id?: string; code?: string }, decision: 'approved' | 'denied', by: { type: 'user'; id: string } | { type: 'system' } | ChannelSender, userId?: string): Promise<PairingDecision>;
  /** Runs the turn for an admitted person; returns the reply text or a safe failure message. */
  ask(sender: ChannelSender, userId: string, conversationKey: string, text: string, onDelta?: (text: string) => void): Promise<string>;
  isOwner(sender: ChannelSender): boolean;
  /** Audits a refused privileged command (owner/admin/moderator only). */
  refuseCommand(sender: ChannelSender, command: string): Promise<void>;
  pending(channel?: ChannelName): Promise<Pairing[]>;
}

/** Builds the hub; all channel adapters share one. */
export function createChannelHub(options: ChannelHubOptions): ChannelHub {
  const { identities, pairings, audit, limiter, logger } = options;
  const actor = (s: ChannelSender, userId?: string) => ({ type: 'channel' as const, channel: s.channel, externalId: s.externalId, ...(userId ? { userId } : {}) });
  const isOwner = (s: ChannelSender) => options.rules(s.channel).ownerIds.includes(s.externalId);

  return {
    isOwner,
    async refuseCommand(sender, command) {
      await audit.record({ actor: actor(sender), action: 'channel.command', target: command, outcome: 'denied', details: { reason: 'not_privileged' } });
    },
    pending: (channel) => pairings.pending(channel),
    async admit(sender) {
      const rules = options.rules(sender.channel);
      const linked = await identities.find(sender.channel, sender.externalId);
      if (linked) return { kind: 'allowed', userId: linked.userId, owner: isOwner(sender) };
      if (rules.allowedIds.includes(sender.externalId) || isOwner(sender)) {
        const link = await identities.ensure({ channel: sender.channel, externalId: sender.externalId, userId: newPersonId(), displayName: sender.displayName ?? null });
        return { kind: 'allowed', userId: link.userId, owner: isOwner(sender) };
      }
      if (!rules.pairing) {
        await audit.record({ actor: actor(sender), action: 'channel.unauthorized', outcome: 'denied', details: { reason: 'not_allowlisted' } });
        return { kind: 'refused', reply: MESSAGES.refused };
      }
      const result = await pairings.request({ channel: sender.channel, externalId: sender.externalId, displayName: sender.displayName ?? null });
      if (result.kind === 'full') {
        await audit.record({ actor: actor(sender), action: 'channel.pairing.request', outcome: 'denied', details: { reason: 'too_many_pending' } });
        return { kind: 'refused', reply: MESSAGES.pairingFull };
      }
      await audit.record({ actor: actor(sender), action: 'channel.pairing.request', target: result.pairing.id, outcome: 'pending', details: { existing: result.kind === 'existing' } });
      return { kind: 'pairing', code: result.pairing.code, reply: MESSAGES.pairing(result.pairing.code) };
    },
    async admitMember(sender) {
      const linked = await identities.find(sender.channel, sender.externalId);
      const userId = linked?.userId ?? (await identities.ensure({ channel: sender.channel, externalId: sender.externalId, userId: newPersonId(), displayName: sender.displayName ?? null })).userId;
      return { kind: 'allowed', userId, owner: isOwner(sender) };
    },
    async consume(sender, userId) {
      const person = await limiter.consume(PERSON_BUDGET, `${sender.channel}:${userId}`);
      const total = person.allowed ? await limiter.consume(CHANNEL_BUDGET, sender.channel) : person;
      if (person.allowed && total.allowed) return true;
      await audit.record({ actor: actor(sender, userId), action: 'channel.rate_limited', outcome: 'denied', details: { budget: person.allowed ? CHANNEL_BUDGET : PERSON_BUDGET } });
      return false;
    },
    async decide(ref, decision, by, userId) {
      const byId = 'type' in by ? (by.type === 'user' ? `user:${by.id}` : 'system') : `${by.channel}:${by.externalId}`;
      const result = await pairings.decide(ref, decision, byId, userId);
      const auditActor = 'type' in by ? by : actor(by);
      if (result.kind !== 'ok') {
        await audit.record({ actor: auditActor, action: `channel.pairing.${decision === 'approved' ? 'approve' : 'deny'}`, outcome: 'failure', details: { reason: result.kind } });
        return result;
      }
      const p = result.pairing;
      if (decision === 'approved') {
        const link = await identities.link({ channel: p.channel, externalId: p.externalId, userId: userId ?? newPersonId(), displayName: p.displayName });
        await audit.record({ actor: auditActor, action: 'channel.pairing.approve', target: p.id, outcome: 'success', details: { channel: p.channel, userId: link.userId } });
        await options.notify?.(p.channel as ChannelName, p.externalId, MESSAGES.approved).catch((err: unknown) => logger.warn({ err: options.scrubber.error(err) }, 'could not tell the approved person'));
        return { kind: 'ok', pairing: { ...p, userId: link.userId } };
      }
      await audit.record({ actor: auditActor, action: 'channel.pairing.deny', target: p.id, outcome: 'success', details: { channel: p.channel } });
      return result;
    },
    async ask(sender, userId, conversationKey, text, onDelta) {
      if (!options.turns) return MESSAGES.failed;
      try {
        const reply = await options.turns.run(
          { channel: sender.channel, userId, familiarId: await options.familiarId(sender.channel), conversationKey, text },
          onDelta ? (e) => { if (e.type === 'delta') onDelta(e.text); } : undefined,
        );
        return reply.text;
      } catch (err) {
        logger.warn({ err: options.scrubber.error(err), channel: sender.channel }, 'channel turn failed');
        return MESSAGES.failed;
      }
    },
  };
}
