import type { ChannelName, TurnRunner } from '../../companions/index.js';
import { AppError } from '../../core/index.js';
import type { Logger } from '../../logging/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { RateLimiter } from '../../security/ratelimit/index.js';
import { channelActor, createAdmission, type Admission } from './admission.js';
import { whileTyping, type HandleOptions, type HandleResult } from './handle.js';
import type { IdentityLinks } from './identities.js';
import type { LinkCodes } from './link-codes.js';
import { createLinking, type AccountDirectory, type LinkDecider, type Linking } from './linking.js';
import { MESSAGES } from './messages.js';
import type { Pairing, PairingDecision, PairingStore } from './pairing.js';
import { rendererFor } from './sanitize.js';
import type { SecretScrubber } from './secrets.js';
import type { AccessRules, ChannelSender } from './types.js';

export { PERSON_BUDGET, CHANNEL_BUDGET } from './admission.js';

export interface ChannelHubOptions {
  readonly identities: IdentityLinks;
  readonly pairings: PairingStore;
  /** One-time link codes (`/link`, the Account page). */
  readonly linkCodes: LinkCodes;
  /** Web accounts an identity may be linked to. */
  readonly accounts: AccountDirectory;
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
  /** Merges a channel-only person into the account their last chat account is linked to (linking.ts); absent: kept apart. */
  readonly merge?: ((from: string, to: string, by: AuditActor) => Promise<Record<string, number>> | undefined) | undefined;
  /** `/usage`: what is left of the person's budgets with this channel's familiar (budgets concern); absent: not answered. */
  readonly usage?: ((userId: string, familiarId: string) => Promise<string>) | undefined;
}

/** `/usage` (or `/usage@bot`), answered privately; not on Twitch, whose answers are public chat. */
const USAGE = /^\/usage(@\w+)?$/i;

/**
 * The shared core every adapter calls. Adapters only translate platform events: one message in,
 * `handle` (admission → rate limit → turn → render), the result out; plus owner/pairing commands.
 */
export interface ChannelHub {
  /** Admits (or turns away) one incoming message and answers it; see HandleOptions for the variants. */
  handle(sender: ChannelSender, text: string, conversationKey: string, options?: HandleOptions): Promise<HandleResult>;
  /** The allowlist/pairing gate alone (dashboard and CLI tests open pairings with it). */
  admit(sender: ChannelSender): Promise<Admission>;
  /**
   * Approves or denies a pairing request. Approval makes the stranger a new channel person; with
   * `userId` it attaches them to that existing person instead, which only the owner (or the
   * operator's CLI) may do (`forbidden` otherwise, `unknown_person` for an id nobody has).
   */
  decide(ref: { id?: string; code?: string }, decision: 'approved' | 'denied', by: LinkDecider, userId?: string): Promise<PairingDecision>;
  /** `/link` or `/link CODE` from a channel identity (no admission needed: it is how a person with an account gets in). */
  link(sender: ChannelSender, code: string | undefined): Promise<string>;
  /** Consent-based linking and the admin's and owner's links, for the HTTP routes. */
  readonly linking: Linking;
  isOwner(sender: ChannelSender): boolean;
  /** Audits a refused privileged command (owner/admin/moderator only). */
  refuseCommand(sender: ChannelSender, command: string): Promise<void>;
  pending(channel?: ChannelName): Promise<Pairing[]>;
}

/** Builds the hub; all channel adapters share one. */
export function createChannelHub(options: ChannelHubOptions): ChannelHub {
  const { pairings, audit, logger } = options;
  const { isOwner, admit, admitVouched, consume } = createAdmission(options);
  /** Tells a person on a channel something; a failure is logged, never thrown into the decision it follows. */
  const tell = async (channel: string, externalId: string, text: string) =>
    options
      .notify?.(channel as ChannelName, externalId, text)
      .catch((err: unknown) => logger.warn({ err: options.scrubber.error(err), channel }, 'could not tell the person on their channel'));
  const linking = createLinking({
    identities: options.identities,
    codes: options.linkCodes,
    accounts: options.accounts,
    audit,
    limiter: options.limiter,
    notify: tell,
    merge: options.merge,
  });

  /** Runs the turn; a failure becomes the safe apology (the person never sees internals). */
  const runTurn = async (
    sender: ChannelSender,
    userId: string,
    conversationKey: string,
    text: string,
    onDelta?: (text: string) => void,
    familiar?: (userId: string) => Promise<string>,
  ): Promise<{ ok: boolean; text: string }> => {
    if (!options.turns) return { ok: false, text: MESSAGES.failed };
    try {
      const reply = await options.turns.run(
        {
          channel: sender.channel,
          userId,
          familiarId: familiar ? await familiar(userId) : await options.familiarId(sender.channel),
          conversationKey,
          text,
        },
        onDelta
          ? (e) => {
              if (e.type === 'delta') onDelta(e.text);
            }
          : undefined,
      );
      return { ok: true, text: reply.text };
    } catch (err) {
      logger.warn({ err: options.scrubber.error(err), channel: sender.channel }, 'channel turn failed');
      // A spent budget's message is written for the person (which budget, when it resets): the same on every channel.
      const spent = err instanceof AppError && err.code === 'BUDGET_EXCEEDED';
      return { ok: false, text: spent ? err.message : MESSAGES.failed };
    }
  };

  return {
    isOwner,
    admit,
    linking,
    link: (sender, code) => linking.fromChannel(sender, code),
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
      if (options.usage && sender.channel !== 'twitch' && USAGE.test(text.trim())) {
        const familiarId = handling.familiar ? await handling.familiar(admission.userId) : await options.familiarId(sender.channel);
        return { kind: 'reply', parts: render(await options.usage(admission.userId, familiarId)) };
      }
      // the familiar is resolved inside the turn's guard: a failure there is the same safe apology
      const reply = await whileTyping(handling.typing, () =>
        runTurn(sender, admission.userId, conversationKey, text, handling.onDelta, handling.familiar),
      );
      return { kind: reply.ok ? 'reply' : 'failed', parts: render(reply.text) };
    },
    async decide(ref, decision, by, userId) {
      const auditActor = 'type' in by ? (by.type === 'user' ? { type: 'user' as const, id: by.id } : by) : channelActor(by);
      const verb = `channel.pairing.${decision === 'approved' ? 'approve' : 'deny'}`;
      const fail = async (reason: Exclude<PairingDecision['kind'], 'ok'>): Promise<PairingDecision> => {
        await audit.record({
          actor: auditActor,
          action: verb,
          outcome: reason === 'forbidden' ? 'denied' : 'failure',
          details: { reason },
        });
        return { kind: reason };
      };
      // Checked before anything is decided, so a refused attach leaves the request pending (#15).
      if (decision === 'approved' && userId !== undefined) {
        if (!linking.mayAttach(by)) return fail('forbidden');
        if (!(await linking.personExists(userId))) return fail('unknown_person');
      }
      const byId = 'type' in by ? (by.type === 'user' ? `user:${by.id}` : 'system') : `${by.channel}:${by.externalId}`;
      const result = await pairings.decide(ref, decision, byId, userId);
      if (result.kind !== 'ok') return fail(result.kind);
      const p = result.pairing;
      if (decision === 'approved') {
        const who = { channel: p.channel, externalId: p.externalId, displayName: p.displayName };
        // A stranger becomes a new channel person; one linked meanwhile (a link code) keeps that link.
        const link = userId !== undefined ? await linking.attach(who, userId, by) : await linking.toNewPerson(who, by);
        const linkedTo = link.kind === 'ok' ? link.userId : (await options.identities.find(p.channel, p.externalId))?.userId;
        await audit.record({
          actor: auditActor,
          action: 'channel.pairing.approve',
          target: p.id,
          outcome: 'success',
          details: { channel: p.channel, userId: linkedTo ?? null, attached: userId !== undefined },
        });
        await tell(p.channel, p.externalId, MESSAGES.approved);
        return { kind: 'ok', pairing: { ...p, userId: linkedTo ?? null } };
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
