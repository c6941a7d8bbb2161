import type { Config } from '../../config/index.js';
import { configured, requireSettings, type ChannelEntry } from '../entry.js';

/** The broadcaster id is optional: the channels of HEARTH_TWITCH_CHANNELS and the dashboard are joined too (issue #22). */
const settings = (config: Config) => requireSettings(config, ['HEARTH_TWITCH_CLIENT_ID', 'HEARTH_TWITCH_BOT_USER_ID']);

/** Twitch: token, client id, bot id, and the channels to join; twurple loads when the channel starts. */
export const twitchEntry: ChannelEntry = {
  name: 'twitch',
  // roles (HEARTH_TWITCH_ADMIT) are the adapter's, per joined channel; the allowlist and pairing are the hub's;
  // only HEARTH_TWITCH_BROADCASTER_ID is an owner (the broadcasters of other joined channels are not Hearth's owners)
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
      broadcasterId: config.HEARTH_TWITCH_BROADCASTER_ID,
      admit: config.HEARTH_TWITCH_ADMIT,
    });
  },
};
