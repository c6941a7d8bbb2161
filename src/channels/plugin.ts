import { definePlugin } from '../core/index.js';
import type { ChannelTables } from './core/index.js';
import { channelMigrations, TOKEN_COLUMN } from './core/index.js';
import { openaiRoutes } from './openai/index.js';
import { personCommandsOver } from './person-commands.js';
import { channelPersonData } from './person-data.js';
import { channelRoutes } from './routes.js';
import { createChannelsService, type ChannelsService } from './service.js';

declare module '../core/plugin.js' {
  interface Services {
    /** Telegram, Discord, Twitch: settings, identity links, pairing (CH-2..CH-4). */
    channels: ChannelsService;
  }
}

/**
 * The OpenAI-compatible endpoint and the chat bots. Bots connect when the first server is built
 * (only `hearth start` builds one), so CLI commands never poll Telegram beside the running server.
 */
export const channelsPlugin = definePlugin({
  name: 'channels',
  migrations: channelMigrations,
  sealedColumns: [TOKEN_COLUMN],
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
      accounts: { find: (id) => identity.findUserById(id) },
      usage: kernel.optional('budgets')?.describe,
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
      routes: [openaiRoutes({ turns, familiars, budgetHeaders: kernel.optional('budgets')?.headersFor }), channelRoutes(channels)],
      contributes: {
        personData: [channelPersonData(channels.identities, storage.db.withTables<ChannelTables>())],
        // Allowlists and pairing are read from this copy on every message; `settings`/`channels` (or no scope) reload it.
        invalidators: [
          (scope) => (scope === undefined || scope === 'settings' || scope === 'channels' ? channels.reloadSettings() : undefined),
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
