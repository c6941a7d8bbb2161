import { discordEntry } from './discord/entry.js';
import type { ChannelEntry } from './entry.js';
import { telegramEntry } from './telegram/entry.js';
import { twitchEntry } from './twitch/entry.js';

/**
 * Every chat platform Hearth can run, in start order. Adding one is a folder with an adapter and
 * an entry, plus a line here; entries import no platform library until `create`.
 */
export const CHANNEL_ENTRIES: readonly ChannelEntry[] = [telegramEntry, discordEntry, twitchEntry];
