import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createDiscordAdapter } from '../../src/channels/discord/index.js';
import { APP_ID } from '../fakes/discord-server.js';
import type { ChannelHarness } from './harness.js';

type DiscordOptions = Parameters<typeof createDiscordAdapter>[0];

/**
 * A Discord adapter on the harness's hub, logger and scrubber, pointed at a fake Discord's REST
 * root and answering in `guildIds`; the test's own options (roles, voice, sessions, …) on top.
 */
export function discordAdapter(
  h: ChannelHarness,
  fake: { readonly restApi: string },
  options: { readonly token: string; readonly guildIds: readonly string[] } & Partial<Omit<DiscordOptions, 'token' | 'guildIds'>>,
): ChannelAdapter {
  const { guildIds, ...rest } = options;
  return createDiscordAdapter({
    applicationId: APP_ID,
    hub: h.hub,
    logger: h.logger,
    scrubber: h.scrubber,
    restApi: fake.restApi,
    guildIds: () => [...guildIds],
    ...rest,
  });
}
