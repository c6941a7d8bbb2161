import { Bot, InputFile, type Context } from 'grammy';
import type { Logger } from '../../logging/index.js';
import { exactPieces, promptLines, type ApprovalButtons } from '../approval-buttons.js';
import {
  ChannelError,
  linkCommandOf,
  MESSAGES,
  renderTelegram,
  type ChannelAdapter,
  type ChannelHub,
  type ChannelSender,
  type PersonCommands,
  type PersonExport,
  type SecretScrubber,
} from '../core/index.js';
import { escapeTelegramHtml } from '../core/sanitize.js';
import type { ApprovalPrompt } from '../core/types.js';
import type { VoiceNotes } from '../entry.js';
import { answerVoiceNote } from './voice-notes.js';

export interface TelegramAdapterOptions {
  readonly token: string;
  readonly hub: ChannelHub;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** Bot API root (tests point it at a fake on loopback). */
  readonly apiRoot?: string;
  /** Shell approvals: the owner's Approve/Deny buttons (EXEC-1); absent = no buttons. */
  readonly approvals?: ApprovalButtons | undefined;
  /** /remember, /memories, /why, /forget, /export for the person themself (memory concern); absent = unavailable. */
  readonly personCommands?: PersonCommands | undefined;
  /** Voice notes transcribed and answered with a voice note too (CH-5); absent = "please write". */
  readonly voice?: VoiceNotes | undefined;
}

/** Telegram shows "typing…" for about 5 s, so it is renewed a little sooner while a turn runs. */
const TYPING_EVERY_MS = 4000;
const START = /^\/start(@\w+)?$/i;
/** The person's memory commands: `/memories [page]`, `/why N`, `/forget N|everything`, `/export`, `/remember TEXT`. */
const PERSON_COMMAND = /^\/(remember|memories|why|forget|export)(?:@\w+)?(?:\s+([\s\S]*))?$/i;

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

  /** One memory command for the caller's own person; an export's file is handed back in `files`. */
  const answerPerson = async (match: RegExpExecArray, userId: string, sender: ChannelSender, files: PersonExport[]) => {
    const person = options.personCommands;
    if (!person) return 'That command is not available on this Hearth.';
    const verb = match[1]!.toLowerCase();
    const arg = match[2]?.trim() ?? '';
    if (verb === 'remember') return arg ? person.remember(userId, arg.slice(0, 2000), sender) : 'Usage: /remember TEXT';
    if (verb === 'memories') return person.memories(userId, Number(arg) || 1, sender);
    if (verb === 'why') return arg ? person.why(userId, arg, sender) : 'Usage: /why N (a number from /memories)';
    if (verb === 'forget') return arg ? person.forget(userId, arg, sender) : 'Usage: /forget N, or /forget everything';
    const file = await person.exportFile(userId, sender);
    if (file.count > 0) files.push(file);
    return file.count > 0 ? 'Sending your memories as a file.' : file.summary;
  };

  // A turn may wait minutes for the owner's approval, which arrives as another update (a button
  // press): messages run beside the polling loop, in order within each chat, so presses never queue behind them.
  const chats = new Map<number, Promise<void>>();
  bot.on('message', (ctx, next) => {
    const id = ctx.chat.id;
    const run = (chats.get(id) ?? Promise.resolve())
      .then(() => next())
      .catch((err: unknown) => logger.error({ err: scrubber.error(err), channel: 'telegram' }, 'telegram update failed'));
    chats.set(id, run);
    void run.then(() => chats.get(id) === run && chats.delete(id));
  });

  // Approve/Deny under an approval request: the data is a nonce and nothing else; approvals decide who counts.
  bot.on('callback_query:data', async (ctx) => {
    const sender: ChannelSender = {
      channel: 'telegram',
      externalId: String(ctx.from.id),
      displayName: ctx.from.username ?? ctx.from.first_name,
    };
    const answer = options.approvals
      ? await options.approvals.press(sender, ctx.callbackQuery.data)
      : { ok: false, text: 'Nothing to decide here.' };
    await ctx.answerCallbackQuery({ text: answer.text.slice(0, 200) });
    if (!answer.ok) return;
    await ctx.editMessageReplyMarkup({ reply_markup: { inline_keyboard: [] } }).catch(() => undefined);
    if (ctx.chat) await send(ctx.chat.id, answer.text);
  });

  bot.on('message:voice', async (ctx) => {
    if (ctx.chat.type !== 'private') return;
    const chatId = ctx.chat.id;
    const sender: ChannelSender = {
      channel: 'telegram',
      externalId: String(ctx.from.id),
      displayName: ctx.from.username ?? ctx.from.first_name,
    };
    const apiRoot = options.apiRoot ?? 'https://api.telegram.org';
    const typing = { send: () => void bot.api.sendChatAction(chatId, 'typing').catch(() => undefined), repeatMs: TYPING_EVERY_MS };
    const deps = { api: bot.api, token: options.token, apiRoot, hub, voice: options.voice, sendParts, typing };
    await answerVoiceNote(deps, chatId, sender, ctx.message.voice);
  });

  bot.on('message:text', async (ctx) => {
    if (ctx.chat.type !== 'private') return; // groups are out of scope: a pairing code must never be shown to a crowd
    const chatId = ctx.chat.id;
    const sender: ChannelSender = {
      channel: 'telegram',
      externalId: String(ctx.from.id),
      displayName: ctx.from.username ?? ctx.from.first_name,
    };
    const text = ctx.message.text;
    const personCommand = PERSON_COMMAND.exec(text.trim());
    const files: PersonExport[] = [];
    // /link [CODE] needs no admission: it is how a person with a web account gets in (#15).
    const link = linkCommandOf(text);
    if (link) return send(chatId, await hub.link(sender, link.code));
    if (await ownerCommand(ctx, sender, text)) return;
    const result = await hub.handle(sender, text, `telegram:chat:${chatId}`, {
      render: renderTelegram,
      // /start and the memory commands are answered here, but only behind the same gate as a turn
      answer: START.test(text.trim())
        ? async () => 'Hello! Write to me any time.'
        : personCommand
          ? (person) => answerPerson(personCommand, person.userId, sender, files)
          : undefined,
      // not awaited: the indicator must not hold up the turn
      typing: { send: () => void bot.api.sendChatAction(chatId, 'typing').catch(() => undefined), repeatMs: TYPING_EVERY_MS },
    });
    await sendParts(chatId, result.parts);
    // an /export file goes to this private chat only (groups are never answered)
    for (const f of result.kind === 'reply' ? files : [])
      await bot.api.sendDocument(chatId, new InputFile(Buffer.from(f.content, 'utf8'), f.name), { caption: f.summary });
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
    async offerApproval(target: string, prompt: ApprovalPrompt) {
      const { head, command, tail } = promptLines(prompt);
      // the whole command, exactly, in <pre> blocks that fit the 4096 limit; the buttons under the last message
      const blocks = exactPieces(command, 3900, escapeTelegramHtml).map((piece) => `<pre>${escapeTelegramHtml(piece)}</pre>`);
      await sendParts(target, [`<b>${escapeTelegramHtml(head)}</b>`, ...blocks]);
      await bot.api.sendMessage(target, escapeTelegramHtml(tail), {
        parse_mode: 'HTML',
        reply_markup: {
          inline_keyboard: [
            [
              { text: 'Approve', callback_data: prompt.approveNonce },
              { text: 'Deny', callback_data: prompt.denyNonce },
            ],
          ],
        },
      });
    },
  };
}
