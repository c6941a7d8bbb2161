import { definePlugin } from '../core/index.js';
import type { ChannelTables } from './core/index.js';
import { channelMigrations, TOKEN_COLUMN } from './core/index.js';
import {
  createFamiliarRouter,
  familiarRouteData,
  familiarRouteMigrations,
  familiarRouteRoutes,
  type FamiliarRouteTables,
} from './familiars/index.js';
import { openaiRoutes } from './openai/index.js';
import { personCommandsOver } from './person-commands.js';
import { channelPersonData } from './person-data.js';
import { channelRoutes } from './routes.js';
import { createChannelsService, type ChannelsService } from './service.js';
// Not through telegram/index.ts: that would load grammy at every start, configured or not (#17).
import { FAMILIAR_BOT_TOKEN_COLUMN, familiarBotMigrations } from './telegram/familiar-bots.js';
import { familiarBotRoutes } from './telegram/routes.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Telegram, Discord, Twitch: settings, identity links, pairing (CH-2..CH-4). */
    channels: ChannelsService;
  }
}

/** `/usage`: the token, money and tool-call budgets, then the voice minutes (issue #22); absent without budgets. */
function usageOf(
  budgets: { describe(userId: string, familiarId?: string): Promise<string> } | undefined,
  voice: { describe(userId: string, familiarId?: string): Promise<string[]> } | undefined,
) {
  if (!budgets) return undefined;
  return async (userId: string, familiarId: string) => {
    const [text, spoken] = await Promise.all([budgets.describe(userId, familiarId), voice?.describe(userId, familiarId) ?? []]);
    // "No budget limits apply" is only true when no voice limit does either
    if (spoken.length === 0) return text;
    return text.startsWith('No budget limits') ? spoken.join('\n') : [text, ...spoken].join('\n');
  };
}

/**
 * The OpenAI-compatible endpoint and the chat bots. Bots connect when the first server is built
 * (only `hearth start` builds one), so CLI commands never poll Telegram beside the running server.
 */
export const channelsPlugin = definePlugin({
  name: 'channels',
  migrations: [...channelMigrations, ...familiarRouteMigrations, ...familiarBotMigrations],
  sealedColumns: [TOKEN_COLUMN, FAMILIAR_BOT_TOKEN_COLUMN],
  init(kernel) {
    const { config, storage, vault, audit, limiter, logger, now } = kernel;
    const turns = kernel.service('turns');
    const familiars = kernel.service('familiars');
    const memory = kernel.optional('memory');
    const approvals = kernel.optional('approvals');
    const identity = kernel.service('identity');
    const channelFamiliar = async () => {
      const wanted = config.HEARTH_CHANNEL_FAMILIAR;
      const found = wanted ? ((await familiars.bySlug(wanted)) ?? (await familiars.get(wanted))) : (await familiars.list())[0];
      if (!found) throw new Error('no familiar for chat channels (set HEARTH_CHANNEL_FAMILIAR)');
      return found.id;
    };
    // which familiar answers where (issue #22): dashboard routes, then HEARTH_CHANNEL_FAMILIARS, then channelFamiliar
    const router = createFamiliarRouter({
      db: storage.db.withTables<FamiliarRouteTables>(),
      familiars,
      env: config.HEARTH_CHANNEL_FAMILIARS,
      twitchEnv: config.HEARTH_TWITCH_CHANNELS,
      fallback: channelFamiliar,
      audit,
      now,
    });
    const channels = createChannelsService({
      config,
      storage,
      vault,
      audit,
      limiter,
      turns,
      logger,
      now,
      familiarId: channelFamiliar,
      familiars: router,
      cluster: kernel.optional('cluster'),
      accounts: { find: (id) => identity.findUserById(id) },
      usage: usageOf(kernel.optional('budgets'), kernel.optional('voiceBudgets')),
      // Privacy starts after channels: looked up when a link merges a channel-only person (#15).
      merge: (from, to, by) => kernel.optional('privacy')?.reassign(from, to, by),
      voice: kernel.optional('voice'),
      // /why reads the turn a memory came from through the caller's own conversations
      personCommands: memory ? personCommandsOver(memory.repo, channelFamiliar, audit, kernel.optional('conversations')) : undefined,
      approvals: approvals
        ? {
            service: approvals,
            owners: async () => (await identity.listUsers()).filter((u) => u.role === 'owner').map((u) => u.id),
            familiarName: async (id: string) => (await familiars.get(id))?.name,
            personName: async (id: string) => (await identity.findUserById(id))?.name,
          }
        : undefined,
    });
    let started: Promise<void> | undefined;
    return {
      services: { channels },
      routes: [
        openaiRoutes({ turns, familiars, budgetHeaders: kernel.optional('budgets')?.headersFor }),
        channelRoutes(channels),
        familiarRouteRoutes(router),
        familiarBotRoutes(channels.telegramBots),
      ],
      contributes: {
        personData: [channelPersonData(channels.identities, storage.db.withTables<ChannelTables & FamiliarRouteTables>())],
        familiarData: [familiarRouteData(storage.db.withTables<FamiliarRouteTables>()), channels.telegramBots.familiarData],
        // Allowlists and pairing are read from this copy on every message; `settings`/`channels` (or no scope) reload it.
        invalidators: [
          (scope) => (scope === undefined || scope === 'settings' || scope === 'channels' ? channels.reloadSettings() : undefined),
          (scope) => (scope === undefined || scope === 'channels' ? channels.telegramBots.sync() : undefined),
        ],
      },
      start() {
        // Not awaited: a slow platform must not hold up the server; failures are logged without tokens.
        started ??= channels
          .start()
          .catch((err: unknown) => logger.error({ err: { name: err instanceof Error ? err.name : 'Error' } }, 'channels failed to start'));
      },
      async close() {
        await started;
        await channels.stop();
      },
    };
  },
});
