import type { ChannelEntry } from '../entry.js';

/** Telegram: needs only its bot token; grammY loads when the channel starts. */
export const telegramEntry: ChannelEntry = {
  name: 'telegram',
  rules: (config) => ({ allowedIds: config.HEARTH_TELEGRAM_ALLOWED_USERS, ownerIds: config.HEARTH_TELEGRAM_OWNER_IDS }),
  envToken: (config) => config.HEARTH_TELEGRAM_BOT_TOKEN,
  ready: () => ({ ok: true }),
  async create({ token, config, hub, logger, scrubber, approvals, personCommands, voice }) {
    const { createTelegramAdapter } = await import('./adapter.js');
    return createTelegramAdapter({
      token,
      hub,
      logger,
      scrubber,
      approvals,
      personCommands,
      voice,
      ...(config.HEARTH_TELEGRAM_API_ROOT ? { apiRoot: config.HEARTH_TELEGRAM_API_ROOT } : {}),
    });
  },
};
