import type { ChannelName } from '../../companions/index.js';
import { stripUnsafeLinks } from '../../security/sanitize/index.js';
import { ChannelError } from './errors.js';

/** Telegram's limit for one message's text (after entity parsing; we count the escaped HTML to be safe). */
const TELEGRAM_LIMIT = 4096;
const DISCORD_LIMIT = 2000;
const TWITCH_LIMIT = 500;

/** Escapes text for Telegram's HTML parse mode: every character the parser treats specially. */
export function escapeTelegramHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Splits text into pieces whose rendered form fits `limit`, preferring a newline, then a space,
 * and never cutting an escape sequence or a surrogate pair.
 */
export function splitForLimit(text: string, limit: number, render: (s: string) => string = (s) => s): string[] {
  const chars = Array.from(text);
  const parts: string[] = [];
  let start = 0;
  while (start < chars.length) {
    let size = 0;
    let end = start;
    let lastBreak = -1;
    while (end < chars.length) {
      const w = render(chars[end]!).length;
      if (size + w > limit) break;
      size += w;
      if (chars[end] === '\n' || chars[end] === ' ') lastBreak = end;
      end++;
    }
    if (end < chars.length && lastBreak > start) end = lastBreak + 1;
    if (end === start) end = start + 1;
    const piece = chars.slice(start, end).join('').trim();
    if (piece) parts.push(piece);
    start = end;
  }
  return parts;
}

/** Telegram replies (LLM-3): unsafe links removed, everything HTML-escaped, split at the platform limit. */
export function renderTelegram(text: string): string[] {
  return splitForLimit(stripUnsafeLinks(text), TELEGRAM_LIMIT, escapeTelegramHtml).map(escapeTelegramHtml);
}

/** Neutralizes mass mentions in text even though sends also pass allowedMentions none (belt and braces). */
function defuseMentions(text: string): string {
  return text.replace(/@(everyone|here)/gi, '@\u200b$1').replace(/<@(&?)(\d+)>/g, '<@\u200b$1$2>');
}

/** Discord message content (LLM-3): unsafe links removed, mass/role mentions defused, split at 2000. */
export function renderDiscord(text: string): string[] {
  return splitForLimit(defuseMentions(stripUnsafeLinks(text)), DISCORD_LIMIT);
}

/** Escapes Discord markdown for embeds, where mentions do not ping but formatting and masked links render. */
export function escapeDiscordMarkdown(text: string): string {
  return defuseMentions(stripUnsafeLinks(text)).replace(/([\\*_~`|>[\]()#-])/g, '\\$1');
}

/**
 * Twitch chat (LLM-3): plain text on one line, no links that run code, no leading `/` or `.`
 * that chat would read as a command (a reply must never `/ban` anyone), split at 500.
 */
export function renderTwitch(text: string): string[] {
  const flat = stripUnsafeLinks(text)
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return splitForLimit(flat, TWITCH_LIMIT).map((p) => p.replace(/^[/.\\]+\s*/, ''));
}

/** Turns reply text into the platform-safe messages to send, one string per message (LLM-3). */
export type ChannelRenderer = (text: string) => string[];

/** Each chat channel's renderer: the hub renders every reply with it unless the adapter brings its own. */
const CHAT_RENDERERS: Partial<Record<ChannelName, ChannelRenderer>> = {
  telegram: renderTelegram,
  discord: renderDiscord,
  twitch: renderTwitch,
};

/** The renderer for a channel; throws rather than let raw model text out on a channel without one. */
export function rendererFor(channel: ChannelName): ChannelRenderer {
  const render = CHAT_RENDERERS[channel];
  if (!render) throw new ChannelError('CHANNEL_NO_RENDERER', `no reply renderer for channel ${channel}`);
  return render;
}
