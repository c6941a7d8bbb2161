import type { Config } from '../../config/index.js';
import type { StoredChannelSettings } from '../core/index.js';
import { configured, requireSettings, type ChannelEntry } from '../entry.js';

const settings = (config: Config) => requireSettings(config, ['HEARTH_DISCORD_APPLICATION_ID']);

/** The guilds the bot answers in: the environment's, then the dashboard's. */
export function discordGuildIds(config: Config, stored: StoredChannelSettings): string[] {
  return [...config.HEARTH_DISCORD_GUILD_IDS, ...stored.guildIds];
}

/** Discord: token plus application id (slash commands); discord.js loads when the channel starts. */
export const discordEntry: ChannelEntry = {
  name: 'discord',
  rules: (config) => ({ allowedIds: config.HEARTH_DISCORD_ALLOWED_USERS, ownerIds: config.HEARTH_DISCORD_OWNER_IDS }),
  envToken: (config) => config.HEARTH_DISCORD_BOT_TOKEN,
  ready: settings,
  async create({ token, config, hub, logger, scrubber, stored, personCommands, approvals, familiars, voice, audit, state }) {
    const { HEARTH_DISCORD_APPLICATION_ID: applicationId } = configured('discord', settings(config));
    const { createDiscordAdapter } = await import('./adapter.js');
    return createDiscordAdapter({
      token,
      hub,
      logger,
      scrubber,
      applicationId,
      personCommands,
      approvals,
      familiars,
      // voice channels (/join, /leave) with the voice concern (CH-5)
      voice,
      audit,
      // the gateway session under the bot lease, so a replica taking over RESUMEs it (#19)
      sessions: state,
      guildIds: () => discordGuildIds(config, stored()),
      ...(config.HEARTH_DISCORD_API_ROOT ? { restApi: config.HEARTH_DISCORD_API_ROOT } : {}),
      requiredRoleId: config.HEARTH_DISCORD_REQUIRED_ROLE_ID,
      adminRoleId: config.HEARTH_DISCORD_ADMIN_ROLE_ID,
    });
  },
};
