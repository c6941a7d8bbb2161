import { ApiClient } from '@twurple/api';
import { StaticAuthProvider } from '@twurple/auth';
import type { EventSubChannelChatMessageEvent } from '@twurple/eventsub-base';
import { EventSubWsListener } from '@twurple/eventsub-ws';
import type { Logger } from '../../logging/index.js';
import { roleOf, roleRank, type TwitchAdmit } from './roles.js';
import {
  ChannelError,
  MESSAGES,
  renderTwitch,
  type ChannelAdapter,
  type ChannelHub,
  type ChannelSender,
  type PersonCommands,
  type SecretScrubber,
} from '../core/index.js';
import type { FamiliarRouter } from '../familiars/index.js';
import { memoryState, type LeasedState } from '../../cluster/index.js';

/** Reading and sending chat (CH-4), whispering pairing codes; nothing that moderates, edits or reads private data. */
const TWITCH_SCOPES = ['user:read:chat', 'user:write:chat', 'user:manage:whispers'] as const;
/** Only with `admit: 'followers'`: the bot (a moderator of the channel) checks whether a viewer follows. */
const FOLLOWER_SCOPE = 'moderator:read:followers';
/** How long a viewer found to follow is believed before asking Twitch again. */
const FOLLOWER_CACHE_MS = 5 * 60_000;
/** Viewers address the familiar with this prefix; everything else in chat is ignored. */
const ASK_PREFIX = '!ask';
/** Moderator-only commands: `!familiar pause` and `!familiar resume`. */
const MOD_COMMAND = /^!familiar\s+(pause|resume)\b/i;
/** A viewer's memory rights (`!memories [page]`, `!why N`, `!forget N|everything`, `!export`): answered by whisper only. */
const PERSON_COMMAND = /^!(memories|why|forget|export)(?:\s+(\S{1,100}))?\s*$/i;

export interface TwitchAdapterOptions {
  readonly token: string;
  readonly clientId: string;
  readonly botUserId: string;
  readonly broadcasterId: string;
  readonly hub: ChannelHub;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** EventSub WebSocket URL (default wss://eventsub.wss.twitch.tv/ws). */
  readonly eventSubUrl?: string;
  /** Viewers answered without pairing: this role and above (default `subscribers`; see TWITCH_ROLES). */
  readonly admit?: TwitchAdmit;
  /** The viewer's own memory commands (memory concern); absent = unavailable. */
  readonly personCommands?: PersonCommands | undefined;
  /**
   * Which familiar answers (issue #22): `!ask` goes to the channel's (`broadcaster:ID`, else the
   * default), and each `prefix:!word` route gives a familiar its own command; absent = one familiar on `!ask`.
   */
  readonly familiars?: FamiliarRouter | undefined;
  /** Where the pause is kept (#19: the database, so every replica and the next owner see it); absent = in memory. */
  readonly state?: LeasedState | undefined;
}

/**
 * Twitch over EventSub chat on WebSocket (CH-4): viewers ask with `!ask`, their text is always
 * untrusted data; per-viewer limits and a per-channel budget are enforced silently (no chat spam)
 * and audited; moderators (and the broadcaster) may pause or resume the familiar.
 */
export function createTwitchAdapter(options: TwitchAdapterOptions): ChannelAdapter {
  const { hub, logger, scrubber, broadcasterId, botUserId } = options;
  const admit = options.admit ?? 'subscribers';
  scrubber.register(options.token);
  const scopes = admit === 'followers' ? [...TWITCH_SCOPES, FOLLOWER_SCOPE] : [...TWITCH_SCOPES];
  const auth = new StaticAuthProvider(options.clientId, options.token, scopes);
  const api = new ApiClient({ authProvider: auth, logger: { minLevel: 'critical' } });
  const listener = new EventSubWsListener({
    apiClient: api,
    logger: { minLevel: 'critical' },
    ...(options.eventSubUrl ? { url: options.eventSubUrl } : {}),
  });
  const state = options.state ?? memoryState();
  const logError = (what: string) => (err: unknown) => logger.error({ err: scrubber.error(err), channel: 'twitch' }, what);

  const sayParts = async (parts: readonly string[]) => {
    for (const part of parts) await api.asUser(botUserId, (ctx) => ctx.chat.sendChatMessage(broadcasterId, part));
  };
  const say = (text: string) => sayParts(renderTwitch(text));
  /** Pairing codes and "you are approved" go privately, never into the public chat. */
  const whisper = (userId: string, text: string) =>
    api.asUser(botUserId, (ctx) => ctx.whispers.sendWhisper(botUserId, userId, renderTwitch(text).join(' ')));

  /** The pairing code last whispered to each viewer. */
  const whispered = new Map<string, string>();
  /** Twitch's last answer per viewer, so a viewer repeating !ask costs one API call per few minutes. */
  const followCache = new Map<string, { follows: boolean; until: number }>();
  const follows = async (userId: string): Promise<boolean> => {
    const cached = followCache.get(userId);
    if (cached && cached.until > Date.now()) return cached.follows;
    try {
      const result = await api.asUser(botUserId, (ctx) => ctx.channels.getChannelFollowers(broadcasterId, userId));
      const answer = result.data.length > 0;
      if (followCache.size >= 10_000) followCache.clear();
      // a new follower waits at most a minute; an unfollow takes effect within FOLLOWER_CACHE_MS
      followCache.set(userId, { follows: answer, until: Date.now() + (answer ? FOLLOWER_CACHE_MS : 60_000) });
      return answer;
    } catch (err) {
      // without the scope, or when the bot is no moderator, nobody passes as a follower
      logError('twitch follower check failed')(err);
      return false;
    }
  };
  /** Whether the platform vouches for this viewer under the operator's choice (CH-4). */
  const vouched = async (event: EventSubChannelChatMessageEvent): Promise<boolean> => {
    if (admit === 'none') return false;
    if (roleRank(roleOf(event.badges)) >= roleRank(admit)) return true;
    return admit === 'followers' && follows(event.chatterId);
  };

  /**
   * A viewer's memory command, behind the same gate as `!ask`: the answer is whispered, never said in
   * chat, and always about the viewer who typed it. Files cannot be whispered: `!export` whispers the
   * count and points to the web (link the account with /link there).
   */
  const personCommand = async (
    event: EventSubChannelChatMessageEvent,
    sender: ChannelSender,
    match: RegExpExecArray,
    person: PersonCommands,
  ) => {
    const verb = match[1]!.toLowerCase();
    const arg = match[2] ?? '';
    const result = await hub.handle(sender, text(verb, arg), `twitch:channel:${broadcasterId}`, {
      vouched: await vouched(event),
      render: (answer) => [answer],
      answer: async ({ userId }) => {
        // the memories kept with the channel's familiar (the one `!ask` reaches)
        const via = options.familiars
          ? { ...sender, familiarId: await options.familiars.resolve('twitch', [`broadcaster:${broadcasterId}`], userId) }
          : sender;
        if (verb === 'memories') return person.memories(userId, Number(arg) || 1, via);
        if (verb === 'why') return arg ? person.why(userId, arg, via) : 'Usage: !why N (a number from !memories)';
        if (verb === 'forget') return arg ? person.forget(userId, arg, via) : 'Usage: !forget N, or !forget everything';
        const file = await person.exportFile(userId, via);
        return file.count
          ? `I remember ${file.count} thing${file.count === 1 ? '' : 's'} about you. Whispers cannot carry files: link this account on the web (Account page, then /link) and download them from Memories.`
          : file.summary;
      },
    });
    if (result.kind === 'reply') await whisper(event.chatterId, result.parts.join('\n'));
    else if (result.kind === 'pairing' && whispered.get(event.chatterId) !== result.code) {
      whispered.set(event.chatterId, result.code);
      await whisper(event.chatterId, MESSAGES.pairing(result.code));
    }
  };
  const text = (verb: string, arg: string) => `!${verb}${arg ? ` ${arg}` : ''}`;

  const router = options.familiars;
  /** `!ask …` for the channel's familiar, or a familiar's own prefix (`!sol …`); anything else is not for us. */
  const addressedTo = async (text: string): Promise<{ text: string; familiar?: (userId: string) => Promise<string> } | undefined> => {
    const lower = text.toLowerCase();
    if (router) {
      for (const route of await router.routesOf('twitch', 'prefix')) {
        const prefix = route.place.slice('prefix:'.length).toLowerCase();
        if (prefix !== ASK_PREFIX && lower.startsWith(`${prefix} `))
          return { text: text.slice(prefix.length).trim(), familiar: async () => route.familiarId };
      }
    }
    if (!lower.startsWith(`${ASK_PREFIX} `)) return undefined;
    const rest = text.slice(ASK_PREFIX.length).trim();
    return router
      ? { text: rest, familiar: (userId) => router.resolve('twitch', [`broadcaster:${broadcasterId}`], userId) }
      : { text: rest };
  };

  const onMessage = async (event: EventSubChannelChatMessageEvent) => {
    if (event.chatterId === botUserId) return;
    const text = event.messageText.trim();
    const sender: ChannelSender = { channel: 'twitch', externalId: event.chatterId, displayName: event.chatterName };
    const mod = MOD_COMMAND.exec(text);
    if (mod) {
      const badges = event.badges;
      if (!('moderator' in badges) && !('broadcaster' in badges) && event.chatterId !== broadcasterId) {
        await hub.refuseCommand(sender, `familiar ${mod[1]!.toLowerCase()}`);
        return;
      }
      const paused = mod[1]!.toLowerCase() === 'pause';
      await state.save('paused', String(paused));
      await say(paused ? 'The familiar is resting.' : 'The familiar is back.');
      return;
    }
    const own = PERSON_COMMAND.exec(text);
    if (own && options.personCommands) return personCommand(event, sender, own, options.personCommands);
    if ((await state.load('paused')) === 'true') return;
    const addressed = await addressedTo(text);
    if (!addressed) return;
    const result = await hub.handle(sender, addressed.text, `twitch:channel:${broadcasterId}`, {
      ...(addressed.familiar ? { familiar: addressed.familiar } : {}),
      // a role the operator admits; anyone else must be linked, allowlisted or paired (the hub's gate)
      vouched: await vouched(event),
      // addressed to the viewer before rendering, so a reply can never start with a chat command
      render: (answer) => renderTwitch(`@${event.chatterName} ${answer}`),
    });
    // limited and refused are audited by the hub; silence keeps the chat clean
    if (result.kind === 'limited' || result.kind === 'refused') return;
    if (result.kind === 'pairing') {
      // once per code: a viewer repeating !ask while they wait is not whispered again (Twitch caps whispers)
      if (whispered.get(event.chatterId) === result.code) return;
      if (whispered.size >= 10_000) whispered.clear();
      whispered.set(event.chatterId, result.code);
      await whisper(event.chatterId, MESSAGES.pairing(result.code));
      return;
    }
    await sayParts(result.parts);
  };

  return {
    name: 'twitch',
    async start() {
      const subscribed = new Promise<void>((resolve) => listener.onSubscriptionCreateSuccess(() => resolve()));
      const failed = new Promise<never>((_, reject) =>
        listener.onSubscriptionCreateFailure((_sub, err) =>
          reject(new ChannelError('CHANNEL_START_FAILED', `twitch: ${scrubber.error(err).message}`)),
        ),
      );
      listener.onChannelChatMessage(broadcasterId, botUserId, (event) => void onMessage(event).catch(logError('twitch message failed')));
      listener.start();
      await Promise.race([subscribed, failed]);
    },
    async stop() {
      listener.stop();
    },
    // the hub tells one person something (an approved pairing): a whisper to that viewer
    deliver: (target, text) => whisper(target, text),
  };
}
