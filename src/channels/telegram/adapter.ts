import { Bot, type Context } from 'grammy';
import type { Logger } from '../../logging/index.js';
import {
  ChannelError,
  MESSAGES,
  renderTelegram,
  type ChannelAdapter,
  type ChannelHub,
  type ChannelSender,
  type SecretScrubber,
} from '../core/index.js';

export interface TelegramAdapterOptions {
  readonly token: string;
  readonly hub: ChannelHub;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** Bot API root (tests point it at a fake on loopback). */
  readonly apiRoot?: string;
}

/** Telegram shows "typing…" for about 5 s, so it is renewed a little sooner while a turn runs. */
const TYPING_EVERY_MS = 4000;
const START = /^\/start(@\w+)?$/i;

/**
 * Telegram over grammY long polling (CH-2): private chats only; allowlisted people chat, strangers
 * get a pairing code, owners approve with `/approve CODE` in their own chat; replies are escaped HTML.
 */
export function createTelegramAdapter(options: TelegramAdapterOptions): ChannelAdapter {
  const { hub, logger, scrubber } = options;
  scrubber.register(options.token);
  const bot = new Bot(options.token, { client: { ...(options.apiRoot ? { apiRoot: options.apiRoot } : {}), timeoutSeconds: 60 } });
  let polling: Promise<void> | undefined;

  const sendParts = async (chatId: number | string, parts: readonly string[]) => {
    for (const part of parts) await bot.api.sendMessage(chatId, part, { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
  };
  const send = (chatId: number | string, text: string) => sendParts(chatId, renderTelegram(text));

  const ownerCommand = async (ctx: Context, sender: ChannelSender, text: string): Promise<boolean> => {
    const match = /^\/(approve|deny|pairings)(?:@\w+)?(?:\s+(\S+))?/i.exec(text);
    if (!match) return false;
    if (!hub.isOwner(sender)) {
      await hub.refuseCommand(sender, match[1]!.toLowerCase());
      await send(ctx.chat!.id, MESSAGES.notOwner);
      return true;
    }
    const verb = match[1]!.toLowerCase();
    if (verb === 'pairings') {
      const list = await hub.pending('telegram');
      await send(
        ctx.chat!.id,
        list.length ? list.map((p) => `${p.code} — ${p.displayName ?? p.externalId}`).join('\n') : 'No pending pairing requests.',
      );
      return true;
    }
    if (!match[2]) {
      await send(ctx.chat!.id, `Usage: /${verb} CODE`);
      return true;
    }
    const result = await hub.decide({ code: match[2] }, verb === 'approve' ? 'approved' : 'denied', sender);
    await send(
      ctx.chat!.id,
      result.kind === 'ok'
        ? `Pairing ${result.pairing.code} ${result.pairing.status}.`
        : `Could not ${verb}: ${result.kind.replace('_', ' ')}.`,
    );
    return true;
  };

  bot.on('message:text', async (ctx) => {
    if (ctx.chat.type !== 'private') return; // groups are out of scope: a pairing code must never be shown to a crowd
    const chatId = ctx.chat.id;
    const sender: ChannelSender = {
      channel: 'telegram',
      externalId: String(ctx.from.id),
      displayName: ctx.from.username ?? ctx.from.first_name,
    };
    const text = ctx.message.text;
    if (await ownerCommand(ctx, sender, text)) return;
    const result = await hub.handle(sender, text, `telegram:chat:${chatId}`, {
      render: renderTelegram,
      // /start is answered here, but only behind the same gate as a turn
      answer: START.test(text.trim()) ? async () => 'Hello! Write to me any time.' : undefined,
      // not awaited: the indicator must not hold up the turn
      typing: { send: () => void bot.api.sendChatAction(chatId, 'typing').catch(() => undefined), repeatMs: TYPING_EVERY_MS },
    });
    await sendParts(chatId, result.parts);
  });

  bot.catch((err) => logger.error({ err: scrubber.error(err.error), channel: 'telegram' }, 'telegram update failed'));

  return {
    name: 'telegram',
    async start() {
      await bot.init();
      await new Promise<void>((resolve, reject) => {
        polling = bot.start({ drop_pending_updates: false, onStart: () => resolve() }).catch((err: unknown) => {
          logger.error({ err: scrubber.error(err), channel: 'telegram' }, 'telegram polling stopped');
          reject(new ChannelError('CHANNEL_START_FAILED', `telegram: ${scrubber.error(err).message}`));
        });
      });
    },
    async stop() {
      if (bot.isRunning()) await bot.stop();
      await polling?.catch(() => undefined);
    },
    deliver: (target, text) => send(target, text),
  };
}
