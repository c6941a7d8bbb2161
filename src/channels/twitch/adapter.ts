import { ApiClient } from '@twurple/api';
import { StaticAuthProvider } from '@twurple/auth';
import type { EventSubChannelChatMessageEvent } from '@twurple/eventsub-base';
import type { EventSubSubscription } from '@twurple/eventsub-base';
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
import type { FamiliarRouter, TwitchChannelRoute } from '../familiars/index.js';
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
/** How often the joined channels are read again (a change made on another replica; local changes apply at once). */
const RESYNC_MS = 30_000;
/** A viewer's memory rights (`!memories [page]`, `!why N`, `!forget N|everything`, `!export`): answered by whisper only. */
const PERSON_COMMAND = /^!(memories|why|forget|export)(?:\s+(\S{1,100}))?\s*$/i;

export interface TwitchAdapterOptions {
  readonly token: string;
  readonly clientId: string;
  readonly botUserId: string;
  /** HEARTH_TWITCH_BROADCASTER_ID: the channel joined with the old rules (`!ask`, `prefix:` routes); absent = only `familiars.twitch` channels. */
  readonly broadcasterId?: string | undefined;
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
  /** How often the joined channels are re-read (default 30 s). */
  readonly resyncMs?: number;
}

/** One joined channel: its subscription and, for a `familiars.twitch` channel, its familiar and prefix. */
interface Joined {
  readonly subscription: EventSubSubscription;
  route: TwitchChannelRoute | undefined;
}

/**
 * Twitch over EventSub chat on WebSocket (CH-4): viewers ask with `!ask`, their text is always
 * untrusted data; per-viewer limits and a per-channel budget are enforced silently (no chat spam)
 * and audited; moderators (and the broadcaster) may pause or resume the familiar.
 *
 * Several channels (issue #22): the bot joins HEARTH_TWITCH_BROADCASTER_ID and every channel of
 * `familiars.twitch`, one chat subscription each on the same socket. Everything that depends on
 * standing is decided per channel, from that channel's event: badges (a moderator of channel A is
 * nobody in channel B), the broadcaster, followers, the pause, the familiar and the conversation.
 */
export function createTwitchAdapter(options: TwitchAdapterOptions): ChannelAdapter {
  const { hub, logger, scrubber, botUserId } = options;
  const mainChannel = options.broadcasterId;
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

  /** Always into the chat the message came from. */
  const sayParts = async (broadcasterId: string, parts: readonly string[]) => {
    for (const part of parts) await api.asUser(botUserId, (ctx) => ctx.chat.sendChatMessage(broadcasterId, part));
  };
  const say = (broadcasterId: string, text: string) => sayParts(broadcasterId, renderTwitch(text));
  /** The pause of one channel; the main channel keeps its old key so a pause survives the upgrade. */
  const pauseKey = (broadcasterId: string) => (broadcasterId === mainChannel ? 'paused' : `paused:${broadcasterId}`);
  /** Pairing codes and "you are approved" go privately, never into the public chat. */
  const whisper = (userId: string, text: string) =>
    api.asUser(botUserId, (ctx) => ctx.whispers.sendWhisper(botUserId, userId, renderTwitch(text).join(' ')));

  /** The pairing code last whispered to each viewer. */
  const whispered = new Map<string, string>();
  /** Twitch's last answer per (channel, viewer), so a viewer repeating !ask costs one API call per few minutes. */
  const followCache = new Map<string, { follows: boolean; until: number }>();
  const follows = async (broadcasterId: string, userId: string): Promise<boolean> => {
    const key = `${broadcasterId}:${userId}`;
    const cached = followCache.get(key);
    if (cached && cached.until > Date.now()) return cached.follows;
    try {
      const result = await api.asUser(botUserId, (ctx) => ctx.channels.getChannelFollowers(broadcasterId, userId));
      const answer = result.data.length > 0;
      if (followCache.size >= 10_000) followCache.clear();
      // a new follower waits at most a minute; an unfollow takes effect within FOLLOWER_CACHE_MS
      followCache.set(key, { follows: answer, until: Date.now() + (answer ? FOLLOWER_CACHE_MS : 60_000) });
      return answer;
    } catch (err) {
      // without the scope, or when the bot is no moderator, nobody passes as a follower
      logError('twitch follower check failed')(err);
      return false;
    }
  };
  /** Whether the platform vouches for this viewer in this event's channel, under the operator's choice (CH-4). */
  const vouched = async (event: EventSubChannelChatMessageEvent): Promise<boolean> => {
    if (admit === 'none') return false;
    if (roleRank(roleOf(event.badges)) >= roleRank(admit)) return true;
    return admit === 'followers' && follows(event.broadcasterId, event.chatterId);
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
    const channelFamiliar = familiarOf(event.broadcasterId);
    const result = await hub.handle(sender, text(verb, arg), `twitch:channel:${event.broadcasterId}`, {
      vouched: await vouched(event),
      render: (answer) => [answer],
      answer: async ({ userId }) => {
        // the memories kept with the channel's familiar (the one `!ask` reaches)
        const via = channelFamiliar ? { ...sender, familiarId: await channelFamiliar(userId) } : sender;
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
  /** The channels joined now, by broadcaster id. */
  const joined = new Map<string, Joined>();
  /** The familiar of a joined channel (the viewer must be allowed to use it), else the old routes of the main channel. */
  const familiarOf = (broadcasterId: string): ((userId: string) => Promise<string>) | undefined => {
    const route = joined.get(broadcasterId)?.route;
    if (route && router)
      return async (userId) => {
        const found = await router.find(route.familiarId, userId);
        if (!found) throw new ChannelError('CHANNEL_NOT_CONFIGURED', 'the channel familiar is not one this viewer may use');
        return found.id;
      };
    return router ? (userId) => router.resolve('twitch', [`broadcaster:${broadcasterId}`], userId) : undefined;
  };
  /** Whether `text` starts with `prefix` as a whole word, and the rest. */
  const strip = (text: string, prefix: string): string | undefined => {
    const lower = text.toLowerCase();
    if (lower === prefix) return '';
    return lower.startsWith(`${prefix} `) ? text.slice(prefix.length).trim() : undefined;
  };
  /**
   * A joined channel's own prefix (`!luna …`) or `!ask …` reach its familiar, and nothing else does;
   * in the main channel without an entry, `!ask …` for its route and each `prefix:!word` route its familiar.
   */
  const addressedTo = async (
    broadcasterId: string,
    text: string,
  ): Promise<{ text: string; familiar?: (userId: string) => Promise<string> } | undefined> => {
    const route = joined.get(broadcasterId)?.route;
    const channelFamiliar = familiarOf(broadcasterId);
    if (route) {
      const rest = strip(text, route.prefix) ?? strip(text, ASK_PREFIX);
      return rest ? { text: rest, ...(channelFamiliar ? { familiar: channelFamiliar } : {}) } : undefined;
    }
    if (router) {
      for (const r of await router.routesOf('twitch', 'prefix')) {
        const prefix = r.place.slice('prefix:'.length).toLowerCase();
        const rest = prefix === ASK_PREFIX ? undefined : strip(text, prefix);
        if (rest) return { text: rest, familiar: async () => r.familiarId };
      }
    }
    const rest = strip(text, ASK_PREFIX);
    if (!rest) return undefined;
    return channelFamiliar ? { text: rest, familiar: channelFamiliar } : { text: rest };
  };

  const onMessage = async (event: EventSubChannelChatMessageEvent) => {
    if (event.chatterId === botUserId) return;
    // only channels joined now; a shared-chat message from another channel is that channel's (its own
    // subscription delivers it when joined), never judged by this channel's rules
    if (!joined.has(event.broadcasterId)) return;
    if (event.sourceBroadcasterId !== null && event.sourceBroadcasterId !== event.broadcasterId) return;
    const channelId = event.broadcasterId;
    const text = event.messageText.trim();
    const sender: ChannelSender = { channel: 'twitch', externalId: event.chatterId, displayName: event.chatterName };
    const mod = MOD_COMMAND.exec(text);
    if (mod) {
      // this channel's badges and broadcaster only: a moderator elsewhere is nobody here
      const role = roleOf(event.badges);
      if (role !== 'moderators' && role !== 'broadcaster' && event.chatterId !== channelId) {
        await hub.refuseCommand(sender, `familiar ${mod[1]!.toLowerCase()}`);
        return;
      }
      const paused = mod[1]!.toLowerCase() === 'pause';
      await state.save(pauseKey(channelId), String(paused));
      await say(channelId, paused ? 'The familiar is resting.' : 'The familiar is back.');
      return;
    }
    const own = PERSON_COMMAND.exec(text);
    if (own && options.personCommands) return personCommand(event, sender, own, options.personCommands);
    if ((await state.load(pauseKey(channelId))) === 'true') return;
    const addressed = await addressedTo(channelId, text);
    if (!addressed) return;
    const result = await hub.handle(sender, addressed.text, `twitch:channel:${channelId}`, {
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
    await sayParts(channelId, result.parts);
  };

  const handler = (event: EventSubChannelChatMessageEvent) => void onMessage(event).catch(logError('twitch message failed'));
  /** Subscriptions waiting for Twitch's answer, so start() can wait for the first ones. */
  const waiting = new Map<EventSubSubscription, { ok: () => void; fail: (err: unknown) => void }>();
  listener.onSubscriptionCreateSuccess((sub) => waiting.get(sub)?.ok());
  listener.onSubscriptionCreateFailure((sub, err) => {
    const w = waiting.get(sub);
    if (w) w.fail(err);
    else logError('twitch could not join a channel')(err);
  });
  const subscribe = (broadcasterId: string): { subscription: EventSubSubscription; ready: Promise<void> } => {
    let done!: { ok: () => void; fail: (err: unknown) => void };
    const ready = new Promise<void>((ok, fail) => (done = { ok, fail }));
    const subscription = listener.onChannelChatMessage(broadcasterId, botUserId, handler);
    waiting.set(subscription, done);
    void ready.then(
      () => waiting.delete(subscription),
      () => waiting.delete(subscription),
    );
    return { subscription, ready };
  };
  /** Joins the channels that should be joined and leaves the others; resolves when the new ones are subscribed. */
  const sync = async (): Promise<void> => {
    const routes = router ? await router.twitch.list() : [];
    const wanted = new Map<string, TwitchChannelRoute | undefined>(mainChannel ? [[mainChannel, undefined]] : []);
    for (const r of routes) wanted.set(r.broadcasterId, r);
    for (const [id, j] of joined) {
      if (wanted.has(id)) continue;
      joined.delete(id);
      j.subscription.stop();
      logger.info({ channel: 'twitch', broadcasterId: id }, 'twitch channel left');
    }
    const pending: Promise<void>[] = [];
    for (const [id, route] of wanted) {
      const j = joined.get(id);
      if (j) {
        j.route = route;
        continue;
      }
      const { subscription, ready } = subscribe(id);
      joined.set(id, { subscription, route });
      pending.push(
        ready.catch((err: unknown) => {
          if (joined.get(id)?.subscription === subscription) joined.delete(id);
          throw err;
        }),
      );
    }
    await Promise.all(pending);
  };
  let timer: NodeJS.Timeout | undefined;
  let unwatch: (() => void) | undefined;
  const resync = () => void sync().catch(logError('twitch could not join a channel'));

  return {
    name: 'twitch',
    async start() {
      listener.start();
      try {
        await sync();
      } catch (err) {
        throw new ChannelError('CHANNEL_START_FAILED', `twitch: ${scrubber.error(err).message}`);
      }
      unwatch = router?.twitch.onChange(resync);
      timer = setInterval(resync, options.resyncMs ?? RESYNC_MS);
      timer.unref();
    },
    async stop() {
      clearInterval(timer);
      unwatch?.();
      unwatch = undefined;
      joined.clear();
      listener.stop();
    },
    // the hub tells one person something (an approved pairing): a whisper to that viewer
    deliver: (target, text) => whisper(target, text),
  };
}
