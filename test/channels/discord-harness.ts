import type { ChannelAdapter } from '../../src/channels/core/index.js';
import { createDiscordAdapter } from '../../src/channels/discord/index.js';
import { createSharedState, leasedState, type ClusterTables, type Lease } from '../../src/cluster/index.js';
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

/**
 * Replicas' Discord adapters on one database, each holding the bot's lease `lease` under its own
 * fencing token: replica 1 holds it at first, `fence(n)` hands it to token n (the former holders'
 * writes fail from then on), and `adapter(n)` runs as the holder of token n. Every adapter made is
 * pushed to `made`, for the test to stop.
 */
export async function leasedDiscordReplicas(
  h: ChannelHarness,
  fake: { readonly restApi: string },
  options: { readonly token: string; readonly guildIds: readonly string[]; readonly lease: string; readonly made: ChannelAdapter[] },
) {
  const tables = h.db.storage.db.withTables<ClusterTables>();
  const state = createSharedState({ storage: h.db.storage, now: () => Date.now() });
  const lease = (token: number): Lease => ({ name: options.lease, token, signal: new AbortController().signal, abandon: () => undefined });
  await tables.insertInto('cluster_leases').values({ name: options.lease, token: 1, holder: 'r1', acquired_at: Date.now() }).execute();
  return {
    tables,
    adapter(token: number): ChannelAdapter {
      const a = discordAdapter(h, fake, {
        token: options.token,
        guildIds: options.guildIds,
        sessions: leasedState(state, options.lease, lease(token)),
      });
      options.made.push(a);
      return a;
    },
    async fence(token: number): Promise<void> {
      await tables
        .updateTable('cluster_leases')
        .set({ token, holder: `r${token}` })
        .where('name', '=', options.lease)
        .execute();
    },
  };
}
