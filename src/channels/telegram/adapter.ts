import { Bot, InputFile, type Api, type Context } from 'grammy';
import { memoryState, type LeasedState } from '../../cluster/index.js';
import type { Logger } from '../../logging/index.js';
import { exactPieces, promptLines, type ApprovalButtons } from '../approval-buttons.js';
import {
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
import type { FamiliarRouter } from '../familiars/index.js';
import { createUpdatePoller, type UpdatePoller } from './polling.js';
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
  /** Which familiar answers in which chat (issue #22: `/familiar NAME`); absent = the channel's one familiar. */
  readonly familiars?: FamiliarRouter | undefined;
  /**
   * More bots, one per familiar (HEARTH_TELEGRAM_FAMILIAR_BOTS): each answers as its familiar only,
   * under the same allowlist, pairing and limits. `apiRoot` defaults to the adapter's.
   */
  readonly familiarBots?: readonly { readonly familiar: string; readonly token: string; readonly apiRoot?: string }[] | undefined;
  /** Where each bot's update offset is kept for the next owner (#19); absent = in memory. */
  readonly state?: LeasedState | undefined;
  /**
   * This bot is one familiar's own (added on the dashboard, issue #22): it always answers as that
   * familiar, has no `/familiar`, and offers that familiar's approvals; absent = the main bot.
   */
  readonly familiarId?: string | undefined;
}

/** A Telegram adapter; `familiarId` names the familiar of a familiar's own bot (approvals prefer it for that familiar). */
export type TelegramAdapter = ChannelAdapter & { readonly familiarId?: string | undefined };

/** Telegram shows "typing…" for about 5 s, so it is renewed a little sooner while a turn runs. */
const TYPING_EVERY_MS = 4000;
const START = /^\/start(@\w+)?$/i;
/** `/familiar` (who answers here, who else could) and `/familiar NAME` (switch this chat to NAME). */
const FAMILIAR = /^\/familiar(?:@\w+)?(?:\s+([\s\S]{1,200}))?$/i;
/** The person's memory commands: `/memories [page]`, `/why N`, `/forget N|everything`, `/export`, `/remember TEXT`. */
const PERSON_COMMAND = /^\/(remember|memories|why|forget|export)(?:@\w+)?(?:\s+([\s\S]*))?$/i;

/**
 * Telegram over grammY long polling (CH-2): private chats only; allowlisted people chat, strangers
 * get a pairing code, owners approve with `/approve CODE` in their own chat; replies are escaped HTML.
 */
export function createTelegramAdapter(options: TelegramAdapterOptions): TelegramAdapter {
  const { hub, logger, scrubber } = options;
  scrubber.register(options.token);
  const makeBot = (token: string, apiRoot: string | undefined) =>
    new Bot(token, { client: { ...(apiRoot ? { apiRoot } : {}), timeoutSeconds: 60 } });
  const bot = makeBot(options.token, options.apiRoot);
  const router = options.familiars;
  /** The bots beside the main one, each bound to its familiar (resolved at start). */
  const extra = (options.familiarBots ?? []).map((b) => {
    scrubber.register(b.token);
    return {
      ...b,
      bot: makeBot(b.token, b.apiRoot ?? options.apiRoot),
      familiarId: undefined as string | undefined,
    };
  });

  /** The familiar that answers a chat: the main bot follows `/familiar`, a familiar's own bot is that familiar. */
  const familiarFor = (chatId: number, fixed: string | undefined): ((userId: string) => Promise<string>) | undefined =>
    fixed !== undefined ? async () => fixed : router ? (userId) => router.resolve('telegram', [`chat:${chatId}`], userId) : undefined;

  /** `/familiar [NAME]` on the main bot, for the admitted person: show who answers, or switch this chat. */
  const familiarCommand = async (chatId: number, name: string | undefined, userId: string): Promise<string> => {
    if (!router) return 'Only one familiar answers here.';
    const current = await router.describe(await router.resolve('telegram', [`chat:${chatId}`], userId));
    const all = await router.familiars(userId);
    if (!name) {
      const others = all.filter((f) => f.id !== current?.id).map((f) => f.name);
      return `You are talking with ${current?.name ?? 'the familiar'}.${others.length ? ` Also here: ${others.join(', ')}. Switch with /familiar NAME.` : ''}`;
    }
    const found = await router.find(name, userId);
    if (!found)
      return `I know no familiar called “${name.trim().slice(0, 60)}”.${all.length ? ` Try: ${all.map((f) => f.name).join(', ')}.` : ''}`;
    await router.set('telegram', `chat:${chatId}`, found.id, { type: 'user', id: userId });
    return `${found.name} answers you here from now on.`;
  };

  const sendPartsVia = async (api: Api, chatId: number | string, parts: readonly string[]) => {
    for (const part of parts) await api.sendMessage(chatId, part, { parse_mode: 'HTML', link_preview_options: { is_disabled: true } });
  };
  const sendParts = (chatId: number | string, parts: readonly string[]) => sendPartsVia(bot.api, chatId, parts);
  const send = (chatId: number | string, text: string) => sendParts(chatId, renderTelegram(text));
  const sendVia = (api: Api, chatId: number | string, text: string) => sendPartsVia(api, chatId, renderTelegram(text));

  const ownerCommand = async (ctx: Context, sender: ChannelSender, text: string): Promise<boolean> => {
    const match = /^\/(approve|deny|pairings)(?:@\w+)?(?:\s+(\S+))?/i.exec(text);
    if (!match) return false;
    if (!hub.isOwner(sender)) {
      await hub.refuseCommand(sender, match[1]!.toLowerCase());
      await sendVia(ctx.api, ctx.chat!.id, MESSAGES.notOwner);
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
      await sendVia(ctx.api, ctx.chat!.id, `Usage: /${verb} CODE`);
      return true;
    }
    const result = await hub.decide({ code: match[2] }, verb === 'approve' ? 'approved' : 'denied', sender);
    await sendVia(
      ctx.api,
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

  const chats = new Map<string, Promise<void>>();
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

  /** The message handlers of one bot: the main one (`fixed` undefined) or a familiar's own. */
  const pollers = new Map<Bot, UpdatePoller>();
  const state = options.state ?? memoryState();
  const wire = (b: Bot, token: string, root: string | undefined, fixed: () => string | undefined) => {
    // the offset is kept per bot, under its numeric id (never the token)
    const poller = createUpdatePoller({ bot: b, key: `updates:${token.split(':')[0]}`, state, logger, scrubber });
    pollers.set(b, poller);
    // A turn may wait minutes for the owner's approval, which arrives as another update (a button
    // press): messages run beside the polling loop, in order within each chat, so presses never queue behind them.
    b.on('message', (ctx, next) => {
      const id = `${token.split(':')[0]}:${ctx.chat.id}`;
      const run = (chats.get(id) ?? Promise.resolve())
        .then(() => next())
        .catch((err: unknown) => logger.error({ err: scrubber.error(err), channel: 'telegram' }, 'telegram update failed'));
      chats.set(id, run);
      poller.track(ctx.update.update_id, run);
      void run.then(() => chats.get(id) === run && chats.delete(id));
    });

    b.on('message:voice', async (ctx) => {
      if (ctx.chat.type !== 'private') return;
      const chatId = ctx.chat.id;
      const sender: ChannelSender = {
        channel: 'telegram',
        externalId: String(ctx.from.id),
        displayName: ctx.from.username ?? ctx.from.first_name,
      };
      const apiRoot = root ?? 'https://api.telegram.org';
      const typing = { send: () => void b.api.sendChatAction(chatId, 'typing').catch(() => undefined), repeatMs: TYPING_EVERY_MS };
      const deps = {
        api: b.api,
        token,
        apiRoot,
        hub,
        voice: options.voice,
        sendParts: (id: number, parts: readonly string[]) => sendPartsVia(b.api, id, parts),
        typing,
        familiar: familiarFor(chatId, fixed()),
      };
      await answerVoiceNote(deps, chatId, sender, ctx.message.voice);
    });

    b.on('message:text', async (ctx) => {
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
      if (link) return sendVia(b.api, chatId, await hub.link(sender, link.code));
      if (await ownerCommand(ctx, sender, text)) return;
      const pick = fixed() === undefined ? FAMILIAR.exec(text.trim()) : null;
      const result = await hub.handle(sender, text, `telegram:chat:${chatId}`, {
        render: renderTelegram,
        // /start and the memory commands are answered here, but only behind the same gate as a turn
        answer: START.test(text.trim())
          ? async () => 'Hello! Write to me any time.'
          : pick
            ? (person) => familiarCommand(chatId, pick[1], person.userId)
            : personCommand
              ? async (person) => {
                  // the memory commands act on the memories kept with this chat's familiar
                  const routed = familiarFor(chatId, fixed());
                  const via = routed ? { ...sender, familiarId: await routed(person.userId) } : sender;
                  return answerPerson(personCommand, person.userId, via, files);
                }
              : undefined,
        ...(familiarFor(chatId, fixed()) ? { familiar: familiarFor(chatId, fixed())! } : {}),
        // not awaited: the indicator must not hold up the turn
        typing: { send: () => void b.api.sendChatAction(chatId, 'typing').catch(() => undefined), repeatMs: TYPING_EVERY_MS },
      });
      await sendPartsVia(b.api, chatId, result.parts);
      // an /export file goes to this private chat only (groups are never answered)
      for (const f of result.kind === 'reply' ? files : [])
        await b.api.sendDocument(chatId, new InputFile(Buffer.from(f.content, 'utf8'), f.name), { caption: f.summary });
    });

    b.catch((err) => logger.error({ err: scrubber.error(err.error), channel: 'telegram' }, 'telegram update failed'));
  };
  wire(bot, options.token, options.apiRoot, () => options.familiarId);
  for (const e of extra) wire(e.bot, e.token, e.apiRoot ?? options.apiRoot, () => e.familiarId);

  return {
    name: 'telegram',
    ...(options.familiarId !== undefined ? { familiarId: options.familiarId } : {}),
    async start() {
      await pollers.get(bot)!.start();
      // a familiar's own bot starts once its familiar is known; one that fails is logged and left off
      for (const e of extra) {
        const found = router ? await router.find(e.familiar) : undefined;
        if (!found) {
          logger.warn({ channel: 'telegram', familiar: e.familiar }, 'telegram familiar bot names no familiar; not started');
          continue;
        }
        e.familiarId = found.id;
        try {
          await pollers.get(e.bot)!.start();
        } catch (err) {
          logger.error({ err: scrubber.error(err), channel: 'telegram', familiar: found.slug }, 'telegram familiar bot failed to start');
        }
      }
    },
    async stop() {
      for (const e of extra) await pollers.get(e.bot)!.stop();
      await pollers.get(bot)!.stop();
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
