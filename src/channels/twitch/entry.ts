import type { Config } from '../../config/index.js';
import { configured, requireSettings, type ChannelEntry } from '../entry.js';

const settings = (config: Config) =>
  requireSettings(config, ['HEARTH_TWITCH_CLIENT_ID', 'HEARTH_TWITCH_BOT_USER_ID', 'HEARTH_TWITCH_BROADCASTER_ID']);

/** Twitch: token, client id, bot and broadcaster ids; twurple loads when the channel starts. */
export const twitchEntry: ChannelEntry = {
  name: 'twitch',
  // roles (HEARTH_TWITCH_ADMIT) are the adapter's; the allowlist and pairing are the hub's; only the broadcaster is an owner
  rules: (config) => ({
    allowedIds: config.HEARTH_TWITCH_ALLOWED_USERS,
    ownerIds: config.HEARTH_TWITCH_BROADCASTER_ID ? [config.HEARTH_TWITCH_BROADCASTER_ID] : [],
  }),
  envToken: (config) => config.HEARTH_TWITCH_ACCESS_TOKEN,
  ready: settings,
  async create({ token, config, hub, logger, scrubber, personCommands, familiars, state }) {
    const values = configured('twitch', settings(config));
    const { createTwitchAdapter } = await import('./adapter.js');
    return createTwitchAdapter({
      token,
      hub,
      logger,
      scrubber,
      personCommands,
      familiars,
      state,
      clientId: values.HEARTH_TWITCH_CLIENT_ID,
      botUserId: values.HEARTH_TWITCH_BOT_USER_ID,
      broadcasterId: values.HEARTH_TWITCH_BROADCASTER_ID,
      admit: config.HEARTH_TWITCH_ADMIT,
    });
  },
};
