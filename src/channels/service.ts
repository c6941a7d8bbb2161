import type { ChannelName, TurnRunner } from '../companions/index.js';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import type { AuditLog, AuditActor } from '../security/audit/index.js';
import type { HearthRateLimiter } from '../security/ratelimit/index.js';
import type { HearthVault } from '../security/vault/index.js';
import type { Storage } from '../storage/index.js';
import {
  CHANNEL_BUDGET,
  createChannelHub,
  createChannelSettings,
  createIdentityLinks,
  createLinkCodes,
  createPairingStore,
  createScrubber,
  EMPTY_SETTINGS,
  LINK_BUDGET,
  LINK_BUDGET_LIMIT,
  PERSON_BUDGET,
  type AccountDirectory,
  type AccessRules,
  type ChannelAdapter,
  type PersonCommands,
  type ChannelHub,
  type ChannelSettingsStore,
  type ChannelTables,
  type IdentityLinks,
  type StoredChannelSettings,
} from './core/index.js';
import { discordGuildIds } from './discord/entry.js';
import type { ChannelEntry, ChatChannel, EnvAccess, VoiceNotes } from './entry.js';
import { CHANNEL_ENTRIES } from './registry.js';
import { createApprovalButtons } from './approval-buttons.js';
import { createChannelOwnership, type ChannelCluster } from './ownership.js';
import type { Approvals } from '../tools/index.js';
import type { FamiliarRouter } from './familiars/index.js';
import { createFamiliarBots, type FamiliarBots } from './telegram/familiar-bots.js';

/** Surfaces without an entry (web, api, openai) get no access from the environment. */
const NO_ENV_ACCESS: EnvAccess = { allowedIds: [], ownerIds: [] };

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
  /** Web accounts a channel identity may be linked to (the identity concern). */
  readonly accounts: AccountDirectory;
  /** Discord /remember, /forget, /export (see personCommandsOver); absent = "not available". */
  readonly personCommands?: PersonCommands | undefined;
  /** Voice notes (the voice concern); absent = not offered. */
  readonly voice?: VoiceNotes | undefined;
  /** Which familiar answers where (issue #22); absent = `familiarId` everywhere. */
  readonly familiars?: FamiliarRouter | undefined;
  /** Leases and the replica bus (#19): each bot runs on one replica; absent = every bot runs here. */
  readonly cluster?: ChannelCluster | undefined;
  /** `/usage`: what is left of the person's budgets (the budgets concern); absent: not answered. */
  readonly usage?: ((userId: string, familiarId: string) => Promise<string>) | undefined;
  /** Merges a channel-only person into the account they link (privacy's reassign, #15); absent: kept apart. */
  readonly merge?: ((from: string, to: string, by: AuditActor) => Promise<Record<string, number>> | undefined) | undefined;
  /** Shell approvals and who the owners are: bots offer the owner Approve/Deny buttons (EXEC-1). */
  readonly approvals?:
    | {
        readonly service: Approvals;
        readonly owners: () => Promise<string[]>;
        readonly familiarName?: (id: string) => Promise<string | undefined>;
        readonly personName?: (id: string) => Promise<string | undefined>;
      }
    | undefined;
}

/** The channels concern as the app sees it: stores, the hub, running adapters, settings. */
export interface ChannelsService {
  readonly hub: ChannelHub;
  readonly identities: IdentityLinks;
  readonly settings: ChannelSettingsStore;
  readonly audit: AuditLog;
  /** Telegram bots added per familiar on the dashboard (issue #22), each its own adapter. */
  readonly telegramBots: FamiliarBots;
  rules(channel: ChannelName): AccessRules;
  guilds(): readonly string[];
  running(channel: ChannelName): boolean;
  updateSettings(channel: ChatChannel, settings: StoredChannelSettings, token: string | null | undefined, actor: AuditActor): Promise<void>;
  /** Reads every channel's stored settings again (the `invalidate` webhook: a row changed behind this process's back). */
  reloadSettings(): Promise<void>;
  /** Seals environment tokens into the vault and starts every channel that has a token. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** Builds the channels service (CH-2..CH-4); nothing connects until start(). */
export function createChannelsService(options: ChannelsOptions): ChannelsService {
  const { config, logger, audit, vault } = options;
  const db = options.storage.db.withTables<ChannelTables>();
  options.limiter.define(PERSON_BUDGET, { points: config.HEARTH_RATE_CHANNEL_PERSON, durationSec: 60 });
  options.limiter.define(CHANNEL_BUDGET, { points: config.HEARTH_RATE_CHANNEL_TOTAL, durationSec: 60 });
  options.limiter.define(LINK_BUDGET, LINK_BUDGET_LIMIT);
  const identities = createIdentityLinks({ db, now: options.now });
  const pairings = createPairingStore({ db, now: options.now });
  const settings = createChannelSettings({ db, vault, now: options.now });
  const scrubber = createScrubber();
  const stored = new Map<ChannelName, StoredChannelSettings>();
  const adapters = new Map<ChannelName, ChannelAdapter>();
  const envAccess = new Map<ChannelName, EnvAccess>(CHANNEL_ENTRIES.map((e) => [e.name, e.rules(config)]));
  const rules = (channel: ChannelName): AccessRules => {
    const env = envAccess.get(channel) ?? NO_ENV_ACCESS;
    const s = stored.get(channel) ?? EMPTY_SETTINGS;
    return {
      allowedIds: [...env.allowedIds, ...s.allowedIds],
      ownerIds: env.ownerIds,
      pairing: s.pairing ?? config.HEARTH_CHANNEL_PAIRING,
    };
  };
  const guilds = () => discordGuildIds(config, stored.get('discord') ?? EMPTY_SETTINGS);
  const ownership = createChannelOwnership({
    cluster: options.cluster,
    adapters,
    logger,
    scrubber,
    onStarted: () => approvalButtons?.start(),
  });
  const hub = createChannelHub({
    identities,
    pairings,
    linkCodes: createLinkCodes({ db, now: options.now }),
    accounts: options.accounts,
    audit,
    limiter: options.limiter,
    logger,
    scrubber,
    turns: options.turns,
    rules,
    familiarId: () => options.familiarId(),
    notify: (channel, externalId, text) => ownership.deliver(channel, externalId, text),
    usage: options.usage,
    merge: options.merge,
  });

  const approvalButtons = options.approvals
    ? createApprovalButtons({
        approvals: options.approvals.service,
        identities,
        owners: options.approvals.owners,
        ...(options.approvals.familiarName ? { familiarName: options.approvals.familiarName } : {}),
        ...(options.approvals.personName ? { personName: options.approvals.personName } : {}),
        adapters: () => [...adapters.values(), ...telegramBots.adapters()],
        logger,
      })
    : undefined;
  const telegramBots = createFamiliarBots({
    db: options.storage.db,
    vault,
    audit,
    hub,
    logger,
    scrubber,
    now: options.now,
    cluster: options.cluster,
    familiars: options.familiars,
    approvals: () => approvalButtons?.buttons,
    personCommands: options.personCommands,
    voice: options.voice,
    apiRoot: config.HEARTH_TELEGRAM_API_ROOT,
    // the main bot and the environment's familiar bots are polled already
    botIdsInUse: async () =>
      [await settings.token('telegram'), ...config.HEARTH_TELEGRAM_FAMILIAR_BOTS.map((e) => e.slice(e.indexOf('=') + 1))].flatMap((t) =>
        t ? [t.slice(0, t.indexOf(':'))] : [],
      ),
    onStarted: () => approvalButtons?.start(),
  });

  /** Loads one channel's settings, seals its environment token, and starts it if it has what it needs. */
  const startChannel = async (entry: ChannelEntry) => {
    const channel = entry.name;
    stored.set(channel, await settings.get(channel));
    const fromEnv = entry.envToken(config);
    if (fromEnv && (await settings.token(channel)) !== fromEnv) await settings.setToken(channel, fromEnv);
    const token = await settings.token(channel);
    if (!token) return;
    scrubber.register(token);
    const readiness = entry.ready(config);
    if (!readiness.ok) {
      logger.warn({ channel, reason: readiness.reason }, 'channel has a token but is missing its other settings; not started');
      return;
    }
    // here, or on whichever replica holds the channel's lease (#19)
    await ownership.run(channel, (state) =>
      entry.create({
        token,
        config,
        hub,
        logger,
        scrubber,
        personCommands: options.personCommands,
        voice: options.voice,
        audit,
        familiars: options.familiars,
        approvals: approvalButtons?.buttons,
        stored: () => stored.get(channel) ?? EMPTY_SETTINGS,
        state,
      }),
    );
  };

  return {
    hub,
    identities,
    settings,
    audit,
    telegramBots,
    rules,
    guilds,
    running: (channel) => adapters.has(channel),
    async updateSettings(channel, next, token, actor) {
      await settings.put(channel, next);
      stored.set(channel, next);
      if (token !== undefined) await settings.setToken(channel, token);
      await audit.record({
        actor,
        action: 'channel.settings.update',
        target: channel,
        outcome: 'success',
        details: { tokenChanged: token !== undefined, allowed: next.allowedIds.length, guilds: next.guildIds.length },
      });
    },
    async reloadSettings() {
      for (const entry of CHANNEL_ENTRIES) stored.set(entry.name, await settings.get(entry.name));
    },
    async start() {
      ownership.listen();
      for (const entry of CHANNEL_ENTRIES) await startChannel(entry);
      await telegramBots
        .start()
        .catch((err: unknown) => logger.error({ err: scrubber.error(err) }, 'telegram familiar bots failed to start'));
      approvalButtons?.start();
    },
    async stop() {
      await ownership.stop();
      await telegramBots.stop();
      for (const [name, adapter] of adapters) {
        await adapter.stop().catch((err: unknown) => logger.warn({ channel: name, err: scrubber.error(err) }, 'channel stop failed'));
      }
      adapters.clear();
      approvalButtons?.stop();
    },
  };
}
