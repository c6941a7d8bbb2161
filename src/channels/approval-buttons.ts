import type { AppError } from '../core/index.js';
import type { Logger } from '../logging/index.js';
import type { ApprovalView, Approvals } from '../tools/index.js';
import { channelActor } from './core/admission.js';
import type { ApprovalPrompt, ChannelAdapter, ChannelSender } from './core/types.js';
import type { IdentityLinks } from './core/index.js';

/** A bot's side of approvals: a press is decided here; the adapter only shows the answer. */
export interface ApprovalButtons {
  /** Counts only from the owner's own linked identity on that platform, for a live nonce (everything else is audited). */
  press(sender: ChannelSender, nonce: string): Promise<{ readonly ok: boolean; readonly text: string }>;
}

const ANSWERS: Record<string, string> = {
  FORBIDDEN: 'Only the owner can decide this command, from their own linked account.',
  CONFLICT: 'This request was already decided; nothing changed.',
  GONE: 'This request has expired; nothing ran.',
  NOT_FOUND: 'This request is unknown or gone; nothing ran.',
};

export interface ApprovalButtonsOptions {
  readonly approvals: Approvals;
  readonly identities: IdentityLinks;
  /** The Hearth people with the owner role. */
  readonly owners: () => Promise<string[]>;
  /** The adapters running now; a familiar's own bot names its familiar. */
  readonly adapters: () => Iterable<ChannelAdapter & { readonly familiarId?: string | undefined }>;
  readonly logger: Logger;
  /** Display names for the prompt: a familiar's, a person's. */
  readonly familiarName?: (familiarId: string) => Promise<string | undefined>;
  readonly personName?: (userId: string) => Promise<string | undefined>;
}

/**
 * Offers every new shell approval request to the owner's linked Telegram and Discord accounts (once
 * across replicas: the first replica with bots claims it, including requests made on another
 * replica), and decides their button presses (EXEC-1).
 */
export function createApprovalButtons(options: ApprovalButtonsOptions): { buttons: ApprovalButtons; start(): void; stop(): void } {
  const { approvals, identities, logger } = options;
  const offering = () => [...options.adapters()].filter((a) => a.offerApproval);

  const offer = async (view: ApprovalView) => {
    const adapters = offering();
    if (adapters.length === 0 || !(await approvals.claimOffer(view.id))) return;
    const familiar = (await options.familiarName?.(view.familiarId).catch(() => undefined)) ?? view.familiarId;
    const person = (await options.personName?.(view.userId).catch(() => undefined)) ?? view.userId;
    const prompt: ApprovalPrompt = {
      command: view.command,
      reasons: view.reasons,
      context: `${familiar} wants to run this shell command (asked by ${person}).`,
      approveNonce: view.nonce,
      denyNonce: view.denyNonce,
      expiresAt: view.expiresAt,
    };
    for (const owner of await options.owners()) {
      for (const identity of await identities.list({ userId: owner })) {
        // the asking familiar's own bot first (issue #22), then the platform's main bot: the first that reaches the owner
        const own = adapters.filter((a) => a.name === identity.channel && a.familiarId === view.familiarId);
        const main = adapters.filter((a) => a.name === identity.channel && a.familiarId === undefined);
        for (const adapter of [...own, ...main]) {
          const sent = await adapter.offerApproval!(identity.externalId, prompt).then(
            () => true,
            (err: unknown) => {
              logger.warn({ channel: identity.channel, err: { name: (err as Error).name } }, 'could not offer an approval');
              return false;
            },
          );
          if (sent) break;
        }
      }
    }
  };
  const offerSafely = (view: ApprovalView) => void offer(view).catch((err: unknown) => logger.warn({ err }, 'approval offer failed'));
  let stopRequests: (() => void) | undefined;
  let stopWatch: (() => void) | undefined;

  const buttons: ApprovalButtons = {
    async press(sender, nonce) {
      const linked = await identities.find(sender.channel, sender.externalId);
      const userId = linked?.userId ?? `unlinked:${sender.channel}:${sender.externalId}`;
      try {
        const view = await approvals.decide({
          nonce,
          decider: { kind: 'person', userId, actor: channelActor(sender, linked?.userId) },
        });
        return view.status === 'approved'
          ? { ok: true, text: 'Approved: the command runs now.' }
          : { ok: true, text: 'Denied: nothing runs.' };
      } catch (err) {
        const code = (err as AppError).code;
        if (!(code in ANSWERS)) throw err;
        return { ok: false, text: ANSWERS[code]! };
      }
    },
  };
  return {
    buttons,
    /** Once bots run: offer new requests, including those of replicas without bots (which this one polls for). */
    start() {
      if (stopRequests || offering().length === 0) return;
      stopRequests = approvals.onRequest(offerSafely);
      stopWatch = approvals.watch(
        () =>
          void approvals.pending().then(
            (views) => views.forEach(offerSafely),
            () => undefined,
          ),
      );
    },
    stop() {
      stopRequests?.();
      stopWatch?.();
      stopRequests = stopWatch = undefined;
    },
  };
}

/** The prompt as lines of plain text (each adapter escapes and splits it for its platform). */
export function promptLines(prompt: ApprovalPrompt): { head: string; command: string; tail: string } {
  return {
    head: `Approval needed. ${prompt.context}`,
    command: prompt.command,
    tail: `Why: ${prompt.reasons.join('; ') || 'not on the allowlist'}\nExpires at ${new Date(prompt.expiresAt).toISOString().slice(11, 19)} UTC. Only your own linked account can decide.`,
  };
}

/**
 * Cuts `text` into pieces whose rendered form fits `limit`, exactly: nothing trimmed or dropped, so
 * the pieces joined are the command as it will run (never truncated). `avoid` is never left whole
 * inside one piece (Discord's code fence).
 */
export function exactPieces(text: string, limit: number, render: (s: string) => string = (s) => s, avoid?: string): string[] {
  const pieces: string[] = [];
  let current = '';
  let size = 0;
  for (const ch of Array.from(text)) {
    const w = render(ch).length;
    const wouldClose = avoid !== undefined && (current + ch).endsWith(avoid);
    if ((size + w > limit || wouldClose) && current !== '') {
      pieces.push(current);
      current = '';
      size = 0;
    }
    current += ch;
    size += w;
  }
  if (current !== '' || pieces.length === 0) pieces.push(current);
  return pieces;
}
