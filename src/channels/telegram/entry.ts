import type { ChannelEntry } from '../entry.js';

/** Telegram: needs only its bot token; grammY loads when the channel starts. */
export const telegramEntry: ChannelEntry = {
  name: 'telegram',
  rules: (config) => ({ allowedIds: config.HEARTH_TELEGRAM_ALLOWED_USERS, ownerIds: config.HEARTH_TELEGRAM_OWNER_IDS }),
  envToken: (config) => config.HEARTH_TELEGRAM_BOT_TOKEN,
  ready: () => ({ ok: true }),
  async create({ token, config, hub, logger, scrubber, approvals, personCommands, voice, familiars, state }) {
    const { createTelegramAdapter } = await import('./adapter.js');
    return createTelegramAdapter({
      token,
      hub,
      logger,
      scrubber,
      approvals,
      personCommands,
      voice,
      familiars,
      state,
      // one more bot per familiar (HEARTH_TELEGRAM_FAMILIAR_BOTS `familiar=token`)
      familiarBots: config.HEARTH_TELEGRAM_FAMILIAR_BOTS.map((entry) => {
        const at = entry.indexOf('=');
        return { familiar: entry.slice(0, at), token: entry.slice(at + 1) };
      }),
      ...(config.HEARTH_TELEGRAM_API_ROOT ? { apiRoot: config.HEARTH_TELEGRAM_API_ROOT } : {}),
    });
  },
};
