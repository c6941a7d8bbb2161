import type { ChannelName, TurnRunner } from '../../companions/index.js';
import type { Logger } from '../../logging/index.js';
import type { AuditLog } from '../../security/audit/index.js';
import type { RateLimiter } from '../../security/ratelimit/index.js';
import { channelActor, createAdmission, type Admission } from './admission.js';
import { whileTyping, type HandleOptions, type HandleResult } from './handle.js';
import { newPersonId, type IdentityLinks } from './identities.js';
import { MESSAGES } from './messages.js';
import type { Pairing, PairingDecision, PairingStore } from './pairing.js';
import { rendererFor } from './sanitize.js';
import type { SecretScrubber } from './secrets.js';
import type { AccessRules, ChannelSender } from './types.js';

export { PERSON_BUDGET, CHANNEL_BUDGET } from './admission.js';

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

/**
 * The shared core every adapter calls. Adapters only translate platform events: one message in,
 * `handle` (admission → rate limit → turn → render), the result out; plus owner/pairing commands.
 */
export interface ChannelHub {
  /** Admits (or turns away) one incoming message and answers it; see HandleOptions for the variants. */
  handle(sender: ChannelSender, text: string, conversationKey: string, options?: HandleOptions): Promise<HandleResult>;
  /** The allowlist/pairing gate alone (dashboard and CLI tests open pairings with it). */
  admit(sender: ChannelSender): Promise<Admission>;
  decide(
    ref: { id?: string; code?: string },
    decision: 'approved' | 'denied',
    by: { type: 'user'; id: string } | { type: 'system' } | ChannelSender,
    userId?: string,
  ): Promise<PairingDecision>;
  isOwner(sender: ChannelSender): boolean;
  /** Audits a refused privileged command (owner/admin/moderator only). */
  refuseCommand(sender: ChannelSender, command: string): Promise<void>;
  pending(channel?: ChannelName): Promise<Pairing[]>;
}

/** Builds the hub; all channel adapters share one. */
export function createChannelHub(options: ChannelHubOptions): ChannelHub {
  const { identities, pairings, audit, logger } = options;
  const { isOwner, admit, admitVouched, consume } = createAdmission(options);

  /** Runs the turn; a failure becomes the safe apology (the person never sees internals). */
  const runTurn = async (
    sender: ChannelSender,
    userId: string,
    conversationKey: string,
    text: string,
    onDelta?: (text: string) => void,
  ): Promise<{ ok: boolean; text: string }> => {
    if (!options.turns) return { ok: false, text: MESSAGES.failed };
    try {
      const reply = await options.turns.run(
        { channel: sender.channel, userId, familiarId: await options.familiarId(sender.channel), conversationKey, text },
        onDelta
          ? (e) => {
              if (e.type === 'delta') onDelta(e.text);
            }
          : undefined,
      );
      return { ok: true, text: reply.text };
    } catch (err) {
      logger.warn({ err: options.scrubber.error(err), channel: sender.channel }, 'channel turn failed');
      return { ok: false, text: MESSAGES.failed };
    }
  };

  return {
    isOwner,
    admit,
    async refuseCommand(sender, command) {
      await audit.record({
        actor: channelActor(sender),
        action: 'channel.command',
        target: command,
        outcome: 'denied',
        details: { reason: 'not_privileged' },
      });
    },
    pending: (channel) => pairings.pending(channel),
    async handle(sender, text, conversationKey, handling = {}) {
      const render = handling.render ?? rendererFor(sender.channel);
      const admission = handling.vouched ? await admitVouched(sender) : await admit(sender);
      if (admission.kind === 'pairing') return { kind: 'pairing', code: admission.code, parts: render(admission.reply) };
      if (admission.kind !== 'allowed') return { kind: admission.kind, parts: render(admission.reply) };
      if (!(await consume(sender, admission.userId))) return { kind: 'limited', parts: render(MESSAGES.limited) };
      if (handling.answer)
        return { kind: 'reply', parts: render(await handling.answer({ userId: admission.userId, owner: admission.owner })) };
      const reply = await whileTyping(handling.typing, () => runTurn(sender, admission.userId, conversationKey, text, handling.onDelta));
      return { kind: reply.ok ? 'reply' : 'failed', parts: render(reply.text) };
    },
    async decide(ref, decision, by, userId) {
      const byId = 'type' in by ? (by.type === 'user' ? `user:${by.id}` : 'system') : `${by.channel}:${by.externalId}`;
      const result = await pairings.decide(ref, decision, byId, userId);
      const auditActor = 'type' in by ? by : channelActor(by);
      if (result.kind !== 'ok') {
        await audit.record({
          actor: auditActor,
          action: `channel.pairing.${decision === 'approved' ? 'approve' : 'deny'}`,
          outcome: 'failure',
          details: { reason: result.kind },
        });
        return result;
      }
      const p = result.pairing;
      if (decision === 'approved') {
        const link = await identities.link({
          channel: p.channel,
          externalId: p.externalId,
          userId: userId ?? newPersonId(),
          displayName: p.displayName,
        });
        await audit.record({
          actor: auditActor,
          action: 'channel.pairing.approve',
          target: p.id,
          outcome: 'success',
          details: { channel: p.channel, userId: link.userId },
        });
        await options
          .notify?.(p.channel as ChannelName, p.externalId, MESSAGES.approved)
          .catch((err: unknown) => logger.warn({ err: options.scrubber.error(err) }, 'could not tell the approved person'));
        return { kind: 'ok', pairing: { ...p, userId: link.userId } };
      }
      await audit.record({
        actor: auditActor,
        action: 'channel.pairing.deny',
        target: p.id,
        outcome: 'success',
        details: { channel: p.channel },
      });
      return result;
    },
  };
}
