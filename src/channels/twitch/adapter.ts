import { ApiClient } from '@twurple/api';
import { StaticAuthProvider } from '@twurple/auth';
import type { EventSubChannelChatMessageEvent } from '@twurple/eventsub-base';
import { EventSubWsListener } from '@twurple/eventsub-ws';
import type { Logger } from '../../logging/index.js';
import {
  ChannelError,
  renderTwitch,
  type ChannelAdapter,
  type ChannelHub,
  type ChannelSender,
  type SecretScrubber,
} from '../core/index.js';

/** Only reading and sending chat (CH-4): nothing that moderates, edits or reads private data. */
const TWITCH_SCOPES = ['user:read:chat', 'user:write:chat'] as const;
/** Viewers address the familiar with this prefix; everything else in chat is ignored. */
const ASK_PREFIX = '!ask';
/** Moderator-only commands: `!familiar pause` and `!familiar resume`. */
const MOD_COMMAND = /^!familiar\s+(pause|resume)\b/i;

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
}

/**
 * Twitch over EventSub chat on WebSocket (CH-4): viewers ask with `!ask`, their text is always
 * untrusted data; per-viewer limits and a per-channel budget are enforced silently (no chat spam)
 * and audited; moderators (and the broadcaster) may pause or resume the familiar.
 */
export function createTwitchAdapter(options: TwitchAdapterOptions): ChannelAdapter {
  const { hub, logger, scrubber, broadcasterId, botUserId } = options;
  scrubber.register(options.token);
  const auth = new StaticAuthProvider(options.clientId, options.token, [...TWITCH_SCOPES]);
  const api = new ApiClient({ authProvider: auth, logger: { minLevel: 'critical' } });
  const listener = new EventSubWsListener({
    apiClient: api,
    logger: { minLevel: 'critical' },
    ...(options.eventSubUrl ? { url: options.eventSubUrl } : {}),
  });
  let paused = false;
  const logError = (what: string) => (err: unknown) => logger.error({ err: scrubber.error(err), channel: 'twitch' }, what);

  const sayParts = async (parts: readonly string[]) => {
    for (const part of parts) await api.asUser(botUserId, (ctx) => ctx.chat.sendChatMessage(broadcasterId, part));
  };
  const say = (text: string) => sayParts(renderTwitch(text));

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
      paused = mod[1]!.toLowerCase() === 'pause';
      await say(paused ? 'The familiar is resting.' : 'The familiar is back.');
      return;
    }
    if (paused || !text.toLowerCase().startsWith(`${ASK_PREFIX} `)) return;
    const result = await hub.handle(sender, text.slice(ASK_PREFIX.length).trim(), `twitch:channel:${broadcasterId}`, {
      vouched: true, // a viewer in the configured channel; there is no pairing in a public chat
      // addressed to the viewer before rendering, so a reply can never start with a chat command
      render: (answer) => renderTwitch(`@${event.chatterName} ${answer}`),
    });
    if (result.kind === 'limited') return; // audited by the hub; silence keeps chat clean
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
    deliver: (_target, text) => say(text),
  };
}
