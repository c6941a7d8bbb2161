import type { ChannelRenderer } from './sanitize.js';

/** The person a message was admitted for (their Hearth person id; owner of this channel or not). */
interface AdmittedPerson {
  readonly userId: string;
  readonly owner: boolean;
}

/** A platform's "is typing…" indicator, shown while a turn runs. */
export interface TypingIndicator {
  /** Shows the indicator once; errors are ignored (it is a courtesy, never a reason to fail). */
  send(): void | Promise<void>;
  /** Re-sends it this often until the turn ends (Telegram's indicator fades after ~5 s). */
  readonly repeatMs?: number;
}

/** How one incoming message is admitted and answered; each adapter keeps its platform's rules. */
export interface HandleOptions {
  /**
   * True when the platform already vouched for the sender (a member of an allowlisted Discord
   * guild with the required role, a viewer in the configured Twitch channel): they are linked or
   * given a channel person, never asked to pair. False (default): linked, allowlisted or owner,
   * else a pairing code or a refusal (Telegram, Discord DMs).
   */
  readonly vouched?: boolean;
  /**
   * Answers without a turn once admitted and within budget (Telegram /start, Discord /remember):
   * the same gate as a turn, so local commands cannot be used to dodge allowlists or limits.
   */
  readonly answer?: (person: AdmittedPerson) => Promise<string>;
  /** Renders reply text for the platform; default: the channel's renderer (CHAT_RENDERERS). */
  readonly render?: ChannelRenderer;
  readonly typing?: TypingIndicator;
  /** Streamed text of the turn as it arrives (the final reply is still returned, rendered). */
  readonly onDelta?: (text: string) => void;
  /**
   * The familiar that answers here (the adapter asked the familiar router, issue #22); absent: the
   * channel's one familiar. Given the admitted person, so a route to a familiar they may not use is skipped.
   */
  readonly familiar?: (userId: string) => Promise<string>;
}

/**
 * What became of one incoming message; `parts` are already rendered for the platform (LLM-3),
 * one message each, so the adapter only sends them (or, like Twitch, stays silent when limited).
 */
export type HandleResult =
  | { readonly kind: 'reply'; readonly parts: readonly string[] }
  /** The turn failed; `parts` carry the safe apology (details went to the log, scrubbed). */
  | { readonly kind: 'failed'; readonly parts: readonly string[] }
  | { readonly kind: 'pairing'; readonly code: string; readonly parts: readonly string[] }
  | { readonly kind: 'refused' | 'limited'; readonly parts: readonly string[] };

/** Runs `work` with the typing indicator shown (and kept alive) until it settles. */
export async function whileTyping<T>(typing: TypingIndicator | undefined, work: () => Promise<T>): Promise<T> {
  if (!typing) return work();
  const show = async () => {
    try {
      await typing.send();
    } catch {
      // a missing indicator is harmless; the reply still goes out
    }
  };
  await show();
  const timer = typing.repeatMs ? setInterval(() => void show(), typing.repeatMs) : undefined;
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
