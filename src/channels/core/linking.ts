import type { Role } from '../../core/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/index.js';
import type { RateLimiter } from '../../security/ratelimit/index.js';
import { channelActor } from './admission.js';
import { newPersonId, type IdentityLinks } from './identities.js';
import { LINK_CODE_TTL_MS, type LinkCodes } from './link-codes.js';
import type { ChannelSender } from './types.js';

/** Budget of link attempts (codes asked for, entered or checked) per channel identity and per web person. */
export const LINK_BUDGET = 'channel.link';
export const LINK_BUDGET_LIMIT = { points: 10, durationSec: 600 } as const;

/** The web accounts linking may attach to (the identity concern answers; channels import none of it). */
export interface AccountDirectory {
  find(userId: string): Promise<{ readonly id: string; readonly name: string } | undefined>;
}

/** Someone deciding a link for another: a signed-in user (with their role: only `owner` may attach), the operator's CLI, or a channel's owner id. */
export type LinkDecider =
  { readonly type: 'user'; readonly id: string; readonly role?: Role } | { readonly type: 'system' } | ChannelSender;

export interface IdentityRef {
  readonly channel: string;
  readonly externalId: string;
  readonly displayName?: string | null;
}

export type LinkOutcome =
  | { readonly kind: 'ok'; readonly userId: string; readonly previousUserId: string | null }
  | { readonly kind: 'invalid_code' | 'limited' | 'already_linked' | 'unknown_person' | 'forbidden' };

export type LinkPreview =
  | {
      readonly kind: 'ok';
      readonly channel: string;
      readonly externalId: string;
      readonly displayName: string | null;
      readonly linkedToYou: boolean;
    }
  | { readonly kind: 'invalid_code' | 'limited' };

const LINK_COMMAND = /^\/link(?:@\w+)?(?:\s+(\S+))?\s*$/i;

/** `/link` or `/link CODE` typed as a message (Telegram); undefined for any other text. */
export function linkCommandOf(text: string): { readonly code: string | undefined } | undefined {
  const match = LINK_COMMAND.exec(text.trim());
  return match ? { code: match[1] } : undefined;
}

const platform = (channel: string) => channel.charAt(0).toUpperCase() + channel.slice(1);
const minutes = Math.round(LINK_CODE_TTL_MS / 60_000);

/** What the channel side is told; no internal detail. */
const LINK_MESSAGES = {
  code: (channel: string, code: string) =>
    `To link this ${platform(channel)} account to your Hearth account, sign in to Hearth on the web, open Account, and enter this code under Chat accounts: ${code} (it works once, for ${minutes} minutes). Never give it to anyone: whoever enters it decides who you speak as here.`,
  linked: (name: string) => `Linked: here you now speak as ${name}, the same person as on the web.`,
  invalid: 'That link code is not valid or has expired. Get a new one on your Account page in Hearth.',
  limited: 'Too many link attempts. Please wait a few minutes and try again.',
  failed: 'Linking did not finish, and nothing was lost. Get a new code on your Account page in Hearth and try again.',
} as const;

/**
 * Who a channel identity speaks as (#15, CH-2). Linking it to a web account needs the consent of
 * both sides: the person signed in on the web issues a code and sends it from the channel, or the
 * channel identity asks for a code and the person enters it on the web. Without that, an admin
 * can only turn an identity Hearth does not know yet into a new channel person; attaching an
 * identity to an existing person is the owner's alone (or the operator's at the server), audited
 * with both parties. Codes are single use, expire, and are limited per identity and per person.
 */
export function createLinking(options: {
  readonly identities: IdentityLinks;
  readonly codes: LinkCodes;
  readonly accounts: AccountDirectory;
  readonly audit: AuditLog;
  readonly limiter: RateLimiter;
  /** Tells a channel identity it was linked (the adapter's deliver); must not throw (the hub logs failures). */
  readonly notify?: (channel: string, externalId: string, text: string) => Promise<void>;
  /**
   * Moves everything held of a channel-only person to the person they are linked to (privacy's
   * reassign over every concern's personData); absent: kept apart. Throws naming a part that failed.
   */
  readonly merge?: ((from: string, to: string, by: AuditActor) => Promise<Record<string, number>> | undefined) | undefined;
}) {
  const { identities, codes, accounts, audit, limiter } = options;
  const actorOf = (by: LinkDecider): AuditActor =>
    'type' in by ? (by.type === 'user' ? { type: 'user', id: by.id } : by) : channelActor(by);
  const target = (ref: IdentityRef) => `${ref.channel}:${ref.externalId}`;
  const within = async (key: string) => (await limiter.consume(LINK_BUDGET, key)).allowed;
  const refused = async (actor: AuditActor, ref: IdentityRef | undefined, reason: string): Promise<void> => {
    await audit.record({
      actor,
      action: 'channel.identity.link',
      ...(ref ? { target: target(ref) } : {}),
      outcome: reason === 'forbidden' || reason === 'limited' ? 'denied' : 'failure',
      details: { reason },
    });
  };
  /** Only the owner (or the operator's CLI) attaches identities to people who already exist. */
  const mayAttach = (by: LinkDecider) => 'type' in by && (by.type === 'system' || (by.type === 'user' && by.role === 'owner'));
  const personExists = async (userId: string) =>
    (await accounts.find(userId)) !== undefined || (await identities.list({ userId })).length > 0;

  /**
   * What was held of the person the identity spoke as goes with it when that person was known only
   * on chat (a `person_…` id, no account) and this was their last chat account: merged into
   * `userId` (#15), so nothing is left behind where no one can reach, export or erase it. A person
   * with other chat accounts still speaking as them keeps their data (those accounts still use it).
   */
  const mergeFrom = async (ref: IdentityRef, previous: string | null, userId: string, actor: AuditActor) => {
    if (!options.merge || !previous || previous === userId || !previous.startsWith('person_')) return undefined;
    if (await accounts.find(previous)) return undefined;
    const others = (await identities.list({ userId: previous })).filter(
      (i) => i.channel !== ref.channel || i.externalId !== ref.externalId,
    );
    if (others.length > 0) return 'kept' as const;
    return (await options.merge(previous, userId, actor)) ? ('merged' as const) : undefined;
  };

  /** Moves the identity to `userId` and audits the link with both parties (who decided, whom it now speaks as, whom before). */
  const linkTo = async (ref: IdentityRef, userId: string, actor: AuditActor, via: string): Promise<LinkOutcome & { kind: 'ok' }> => {
    const previousUserId = (await identities.find(ref.channel, ref.externalId))?.userId ?? null;
    const data = await mergeFrom(ref, previousUserId, userId, actor);
    await identities.link({
      channel: ref.channel,
      externalId: ref.externalId,
      userId,
      displayName: ref.displayName ?? null,
    });
    await audit.record({
      actor,
      action: 'channel.identity.link',
      target: target(ref),
      outcome: 'success',
      details: { via, userId, previousUserId, ...(data ? { previousData: data } : {}) },
    });
    return { kind: 'ok', userId, previousUserId };
  };

  return {
    mayAttach,
    personExists,

    /** `/link` asks for a code to enter on the web; `/link CODE` spends a code the person made on the web. Returns the reply. */
    async fromChannel(sender: ChannelSender, code: string | undefined): Promise<string> {
      const actor = channelActor(sender);
      if (!(await within(target(sender)))) {
        await refused(actor, sender, 'limited');
        return LINK_MESSAGES.limited;
      }
      if (!code) {
        const issued = await codes.issue({
          kind: 'channel',
          channel: sender.channel,
          externalId: sender.externalId,
          displayName: sender.displayName ?? null,
        });
        await audit.record({
          actor,
          action: 'channel.identity.link_code',
          target: target(sender),
          outcome: 'success',
          details: { kind: 'channel', expiresAt: issued.expiresAt },
        });
        return LINK_MESSAGES.code(sender.channel, issued.code);
      }
      const owner = await codes.spend('web', code);
      const account = owner?.kind === 'web' ? await accounts.find(owner.userId) : undefined;
      if (!account) {
        await refused(actor, sender, 'invalid_code');
        return LINK_MESSAGES.invalid;
      }
      try {
        await linkTo(sender, account.id, channelActor(sender, account.id), 'web_code');
      } catch {
        // The merge failed at a part (privacy audited which); nothing was lost and the identity is unchanged.
        await refused(actor, sender, 'merge_failed');
        return LINK_MESSAGES.failed;
      }
      return LINK_MESSAGES.linked(account.name);
    },

    /** A code for the signed-in person to send from a channel (`/link CODE`); an earlier unused one is withdrawn. */
    async issueWebCode(userId: string): Promise<{ code: string; expiresAt: number }> {
      const issued = await codes.issue({ kind: 'web', userId });
      await audit.record({
        actor: { type: 'user', id: userId },
        action: 'channel.identity.link_code',
        target: userId,
        outcome: 'success',
        details: { kind: 'web', expiresAt: issued.expiresAt },
      });
      return issued;
    },

    /** What a channel-issued code would link, without spending it, so the person sees it before they confirm. */
    async preview(userId: string, code: string): Promise<LinkPreview> {
      const actor: AuditActor = { type: 'user', id: userId };
      if (!(await within(`web:${userId}`))) return (await refused(actor, undefined, 'limited'), { kind: 'limited' });
      const owner = await codes.peek('channel', code);
      if (owner?.kind !== 'channel') return (await refused(actor, undefined, 'invalid_code'), { kind: 'invalid_code' });
      const current = await identities.find(owner.channel, owner.externalId);
      return {
        kind: 'ok',
        channel: owner.channel,
        externalId: owner.externalId,
        displayName: owner.displayName,
        linkedToYou: current?.userId === userId,
      };
    },

    /** The signed-in person enters a channel-issued code: that channel identity now speaks as them. */
    async claim(userId: string, code: string): Promise<LinkOutcome> {
      const actor: AuditActor = { type: 'user', id: userId };
      if (!(await within(`web:${userId}`))) return (await refused(actor, undefined, 'limited'), { kind: 'limited' });
      const owner = await codes.spend('channel', code);
      if (owner?.kind !== 'channel') return (await refused(actor, undefined, 'invalid_code'), { kind: 'invalid_code' });
      const result = await linkTo(owner, userId, actor, 'channel_code');
      const account = await accounts.find(userId);
      await options.notify?.(owner.channel, owner.externalId, LINK_MESSAGES.linked(account?.name ?? 'your Hearth account'));
      return result;
    },

    /** The person removes one of their own channel identities; it is a stranger again on its next message. */
    async unlinkOwn(userId: string, ref: IdentityRef): Promise<boolean> {
      const current = await identities.find(ref.channel, ref.externalId);
      if (current?.userId !== userId) return false;
      await identities.unlink(ref.channel, ref.externalId);
      await audit.record({
        actor: { type: 'user', id: userId },
        action: 'channel.identity.unlink',
        target: target(ref),
        outcome: 'success',
        details: { userId },
      });
      return true;
    },

    /** An admin admits an identity Hearth does not know yet as a new channel person; a known one is never moved this way. */
    async toNewPerson(ref: IdentityRef, by: LinkDecider): Promise<LinkOutcome> {
      const fresh = newPersonId();
      const linked = await identities.ensure({ ...ref, userId: fresh, displayName: ref.displayName ?? null });
      if (linked.userId !== fresh) return (await refused(actorOf(by), ref, 'already_linked'), { kind: 'already_linked' });
      await audit.record({
        actor: actorOf(by),
        action: 'channel.identity.link',
        target: target(ref),
        outcome: 'success',
        details: { via: 'new_person', userId: fresh },
      });
      return { kind: 'ok', userId: fresh, previousUserId: null };
    },

    /** The owner attaches an identity to an existing person (web account or channel person), audited with both parties. */
    async attach(ref: IdentityRef, userId: string, by: LinkDecider): Promise<LinkOutcome> {
      const actor = actorOf(by);
      if (!mayAttach(by)) return (await refused(actor, ref, 'forbidden'), { kind: 'forbidden' });
      if (!(await personExists(userId))) return (await refused(actor, ref, 'unknown_person'), { kind: 'unknown_person' });
      return linkTo(ref, userId, actor, 'owner');
    },
  };
}

export type Linking = ReturnType<typeof createLinking>;
