import type { ChannelName } from '../companions/index.js';
import { leasedState, memoryState, type Cluster, type LeasedState } from '../cluster/index.js';
import type { Logger } from '../logging/index.js';
import { ChannelError, type ChannelAdapter, type SecretScrubber } from './core/index.js';

/** Bus topic: `{ channel }` has messages waiting in the outbox for the replica that owns its bot. */
const OUTBOX_TOPIC = 'channels.outbox';

export type ChannelCluster = Pick<Cluster, 'leases' | 'bus' | 'state' | 'outbox'>;

export interface ChannelOwnershipOptions {
  /** Absent: every adapter runs in this process (a service built without the cluster concern). */
  readonly cluster: ChannelCluster | undefined;
  /** The adapters running in this process, by channel (the service's map). */
  readonly adapters: Map<ChannelName, ChannelAdapter>;
  readonly logger: Logger;
  readonly scrubber: SecretScrubber;
  /** Called after an adapter started here (approval buttons begin offering). */
  readonly onStarted: () => void;
}

/**
 * One owner per bot connection (#19): each channel's adapter runs only on the replica holding the
 * lease `channel:<name>`, with its state (Telegram's offset, the Twitch pause) kept in the database
 * under the lease's fence. A message for a channel whose bot runs on another replica (a pairing
 * approved on the web) waits in the outbox for that owner, which is told over the bus (or takes it
 * when it acquires the lease, if there was no owner at the moment).
 */
export function createChannelOwnership(options: ChannelOwnershipOptions) {
  const { cluster, adapters, logger, scrubber } = options;
  const stops: Array<() => Promise<void>> = [];
  let unsubscribe: (() => void) | undefined;

  const launch = async (channel: ChannelName, create: (state: LeasedState) => Promise<ChannelAdapter>, state: LeasedState) => {
    try {
      const adapter = await create(state);
      try {
        await adapter.start();
      } catch (err) {
        await adapter.stop().catch(() => undefined);
        throw err;
      }
      adapters.set(channel, adapter);
      logger.info({ channel }, 'channel started');
      options.onStarted();
      drain(channel);
    } catch (err) {
      const safe = scrubber.error(err);
      logger.error({ channel, err: safe }, 'channel failed to start');
      // the lease logs and retries this; only the scrubbed words travel on
      throw new ChannelError('CHANNEL_START_FAILED', `${channel}: ${safe.message}`);
    }
  };
  /** Sends what other replicas left for this channel's bot (the owner only). */
  const drain = (channel: ChannelName) => {
    if (!cluster || !adapters.has(channel)) return;
    void cluster.outbox
      .drain(`channel:${channel}`, async (payload) => {
        const m = payload as { externalId?: unknown; text?: unknown } | null;
        if (typeof m?.externalId !== 'string' || typeof m.text !== 'string') return;
        await adapters
          .get(channel)
          ?.deliver(m.externalId, m.text)
          .catch((err: unknown) => logger.warn({ channel, err: scrubber.error(err) }, 'could not deliver a message from another replica'));
      })
      .catch((err: unknown) => logger.warn({ channel, err: scrubber.error(err) }, 'channel outbox could not be read'));
  };
  const halt = async (channel: ChannelName) => {
    const adapter = adapters.get(channel);
    adapters.delete(channel);
    await adapter?.stop().catch((err: unknown) => logger.warn({ channel, err: scrubber.error(err) }, 'channel stop failed'));
    if (adapter) logger.info({ channel }, 'channel stopped');
  };

  return {
    /** Starts the channel here, or keeps trying for its lease and runs it while this replica holds it. */
    async run(channel: ChannelName, create: (state: LeasedState) => Promise<ChannelAdapter>): Promise<void> {
      if (!cluster) return launch(channel, create, memoryState()).catch(() => undefined);
      const name = `channel:${channel}`;
      stops.push(
        cluster.leases.run(name, {
          start: (lease) => launch(channel, create, leasedState(cluster.state, name, lease)),
          stop: () => halt(channel),
        }),
      );
    },
    /** Sends here when this replica runs the channel's bot, else leaves it for the owner and tells it. */
    async deliver(channel: ChannelName, externalId: string, text: string): Promise<void> {
      const local = adapters.get(channel);
      if (local || !cluster) return local?.deliver(externalId, text);
      await cluster.outbox.push(`channel:${channel}`, { externalId, text });
      await cluster.bus.publish(OUTBOX_TOPIC, { channel });
    },
    /** Sends what other replicas leave for the bots running here, when told. */
    listen(): void {
      if (!cluster || unsubscribe) return;
      unsubscribe = cluster.bus.subscribe(OUTBOX_TOPIC, (data) => {
        const channel = (data as { channel?: unknown } | null)?.channel;
        if (typeof channel === 'string') drain(channel as ChannelName);
      });
    },
    /** Stops every lease run (and so every adapter it started). */
    async stop(): Promise<void> {
      unsubscribe?.();
      unsubscribe = undefined;
      await Promise.all(stops.splice(0).map((stop) => stop()));
    },
  };
}
