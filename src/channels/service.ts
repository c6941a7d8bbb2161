import type { ChannelName, TurnRunner } from '../companions/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditLog, AuditActor } from '../security/audit/index.js';
import type { HearthRateLimiter } from '../security/ratelimit/index.js';
import type { HearthVault } from '../security/vault/index.js';
import type { Storage } from '../storage/index.js';
import {
  CHANNEL_BUDGET, createChannelHub, createChannelSettings, createIdentityLinks, createPairingStore, createScrubber, EMPTY_SETTINGS, PERSON_BUDGET, TOKEN_COLUMN,
  type AccessRules, type ChannelAdapter, type PersonCommands, type ChannelHub, type ChannelSettingsStore, type ChannelTables, type IdentityLinks, type StoredChannelSettings,
} from './core/index.js';
import { createDiscordAdapter } from './discord/index.js';
import { createTelegramAdapter } from './telegram/index.js';
import { createTwitchAdapter } from './twitch/index.js';

type ChatChannel = 'telegram' | 'discord' | 'twitch';
const CHAT_CHANNELS: readonly ChatChannel[] = ['telegram', 'discord', 'twitch'];

export interface ChannelsOptions {
  readonly config: Config;
  readonly storage: Storage;
  readonly vault: HearthVault;
  readonly audit: AuditLog;
  readonly limiter: HearthRateLimiter;
  readonly turns: TurnRunner | undefined;
  readonly logger: Logger;
  readonly now: () => number;
  /** Resolves which familiar answers on chat channels. */
  readonly familiarId: () => Promise<string>;
  /** Discord /remember, /forget, /export (see personCommandsOver); absent = "not available". */
  readonly personCommands?: PersonCommands | undefined;
}

/** The channels concern as the app sees it: stores, the hub, running adapters, settings. */
export interface ChannelsService {
  readonly hub: ChannelHub;
  readonly identities: IdentityLinks;
  readonly settings: ChannelSettingsStore;
  readonly audit: AuditLog;
  rules(channel: ChannelName): AccessRules;
  guilds(): readonly string[];
  running(channel: ChannelName): boolean;
  updateSettings(channel: ChatChannel, settings: StoredChannelSettings, token: string | null | undefined, actor: AuditActor): Promise<void>;
  /** Seals environment tokens into the vault and starts every channel that has a token. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the channels service (CH-2..CH-4); nothing connects until start(). */
export function createChannelsService(options: ChannelsOptions): ChannelsService {
  const { config, logger, audit, vault } = options;
  const db = options.storage.db.withTables<ChannelTables>();
  vault.registerSealedColumn(TOKEN_COLUMN);
  options.limiter.define(PERSON_BUDGET, { points: config.HEARTH_RATE_CHANNEL_PERSON, durationSec: 60 });
  options.limiter.define(CHANNEL_BUDGET, { points: config.HEARTH_RATE_CHANNEL_TOTAL, durationSec: 60 });
  const identities = createIdentityLinks({ db, now: options.now });
  const pairings = createPairingStore({ db, now: options.now });
  const settings = createChannelSettings({ db, vault, now: options.now });
  const scrubber = createScrubber();
  const stored = new Map<ChannelName, StoredChannelSettings>();
  const adapters = new Map<ChannelName, ChannelAdapter>();
  const env = {
    telegram: { allowed: config.HEARTH_TELEGRAM_ALLOWED_USERS, owners: config.HEARTH_TELEGRAM_OWNER_IDS },
    discord: { allowed: config.HEARTH_DISCORD_ALLOWED_USERS, owners: config.HEARTH_DISCORD_OWNER_IDS },
    twitch: { allowed: [] as string[], owners: config.HEARTH_TWITCH_BROADCASTER_ID ? [config.HEARTH_TWITCH_BROADCASTER_ID] : [] },
  } as const;
  const rules = (channel: ChannelName): AccessRules => {
    const e = (env as Record<string, { allowed: readonly string[]; owners: readonly string[] } | undefined>)[channel];
    const s = stored.get(channel) ?? EMPTY_SETTINGS;
    return { allowedIds: [...(e?.allowed ?? []), ...s.allowedIds], ownerIds: e?.owners ?? [], pairing: s.pairing ?? config.HEARTH_CHANNEL_PAIRING };
  };
  const guilds = () => [...config.HEARTH_DISCORD_GUILD_IDS, ...(stored.get('discord')?.guildIds ?? [])];
  const hub = createChannelHub({
    identities, pairings, audit, limiter: options.limiter, logger, scrubber, turns: options.turns, rules,
    familiarId: () => options.familiarId(),
    notify: async (channel, externalId, text) => adapters.get(channel)?.deliver(externalId, text),
  });

  const build = (channel: ChatChannel, token: string): ChannelAdapter | undefined => {
    if (channel === 'telegram') return createTelegramAdapter({ token, hub, logger, scrubber, ...(config.HEARTH_TELEGRAM_API_ROOT ? { apiRoot: config.HEARTH_TELEGRAM_API_ROOT } : {}) });
    if (channel === 'discord') {
      if (!config.HEARTH_DISCORD_APPLICATION_ID) return undefined;
      return createDiscordAdapter({
        token, hub, logger, scrubber, applicationId: config.HEARTH_DISCORD_APPLICATION_ID, guildIds: guilds,
        requiredRoleId: config.HEARTH_DISCORD_REQUIRED_ROLE_ID, adminRoleId: config.HEARTH_DISCORD_ADMIN_ROLE_ID, personCommands: options.personCommands,
      });
    }
    if (!config.HEARTH_TWITCH_CLIENT_ID || !config.HEARTH_TWITCH_BOT_USER_ID || !config.HEARTH_TWITCH_BROADCASTER_ID) return undefined;
    return createTwitchAdapter({ token, hub, logger, scrubber, clientId: config.HEARTH_TWITCH_CLIENT_ID, botUserId: config.HEARTH_TWITCH_BOT_USER_ID, broadcasterId: config.HEARTH_TWITCH_BROADCASTER_ID });
  };

  return {
    hub, identities, settings, audit, rules, guilds,
    running: (channel) => adapters.has(channel),
    async updateSettings(channel, next, token, actor) {
      await settings.put(channel, next);
      stored.set(channel, next);
      if (token !== undefined) await settings.setToken(channel, token);
      await audit.record({ actor, action: 'channel.settings.update', target: channel, outcome: 'success', details: { tokenChanged: token !== undefined, allowed: next.allowedIds.length, guilds: next.guildIds.length } });
    },
    async start() {
      const envTokens: Record<ChatChannel, string | undefined> = {
        telegram: config.HEARTH_TELEGRAM_BOT_TOKEN, discord: config.HEARTH_DISCORD_BOT_TOKEN, twitch: config.HEARTH_TWITCH_ACCESS_TOKEN,
      };
      for (const channel of CHAT_CHANNELS) {
        stored.set(channel, await settings.get(channel));
        const fromEnv = envTokens[channel];
        if (fromEnv && (await settings.token(channel)) !== fromEnv) await settings.setToken(channel, fromEnv);
        const token = await settings.token(channel);
        if (!token) continue;
        scrubber.register(token);
        const adapter = build(channel, token);
        if (!adapter) {
          logger.warn({ channel }, 'channel has a token but is missing its other settings; not started');
          continue;
        }
        try {
          await adapter.start();
          adapters.set(channel, adapter);
          logger.info({ channel }, 'channel started');
        } catch (err) {
          logger.error({ channel, err: scrubber.error(err) }, 'channel failed to start');
        }
      }
    },
    async stop() {
      for (const [name, adapter] of adapters) {
        await adapter.stop().catch((err: unknown) => logger.warn({ channel: name, err: scrubber.error(err) }, 'channel stop failed'));
      }
      adapters.clear();
    },
  };
}
