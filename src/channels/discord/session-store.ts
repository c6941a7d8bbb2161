import { Routes, SimpleShardingStrategy, type Client, type SessionInfo, type WebSocketOptions } from 'discord.js';
import type { LeasedState } from '../../cluster/index.js';
import type { Logger } from '../../logging/index.js';

/** @discordjs/ws's manager (discord.js exports its own class under that name). */
type WSWebSocketManager = Parameters<NonNullable<WebSocketOptions['buildStrategy']>>[0];
/** Its events by their wire names (`ready`, `dispatch`), whose enum discord.js shadows with its own. */
interface ShardEvents {
  on(event: 'ready', listener: (payload: { data: ReadyData; shardId: number }) => void): unknown;
  emit(event: 'ready' | 'dispatch', payload: { shardId: number; data: unknown }): unknown;
}

/** What a READY gave the first owner, which a replica that only RESUMEs never receives. */
interface ReadyData {
  readonly user: unknown;
  readonly application: unknown;
  readonly guilds: ReadonlyArray<{ id: string }>;
}

interface Stored {
  readonly sessions: Record<string, SessionInfo>;
  readonly ready?: ReadyData;
}

/** The key under the lease's state (scope `channel:discord`). */
const KEY = 'gateway';

/**
 * The Discord gateway session in the database (#19), so the replica that takes the bot over
 * RESUMEs the session of the one that died (op 6, with its session id and sequence): Discord then
 * replays what was dispatched in between, and nothing from before is dispatched again.
 *
 * discord.js keeps the session in memory (its options do not expose @discordjs/ws's
 * `retrieveSessionInfo`/`updateSessionInfo`), so `ws.buildStrategy` (a discord.js client option)
 * wraps them on the @discordjs/ws manager: every change is also written to the lease's fenced
 * state. The sequence is written before @discordjs/ws hands the event on (it awaits the update),
 * so an event counted as seen is never replayed to the next owner; the cost is that an event
 * whose handling a crash cut short is not handled again. A former owner cut off from the lease
 * cannot overwrite its successor's session (CLUSTER_FENCED).
 */
export interface DiscordSessionStore {
  /** Reads the stored session; call before `client.login`. */
  load(): Promise<void>;
  /** The discord.js client options that route the session through this store. */
  readonly ws: { buildStrategy(manager: WSWebSocketManager): SimpleShardingStrategy };
  /** Call once with the client: a fresh client that RESUMEd is made ready from the stored READY. */
  attach(client: Client): void;
}

export function createDiscordSessionStore(state: LeasedState, logger: Logger): DiscordSessionStore {
  let sessions: Record<string, SessionInfo> = {};
  let ready: ReadyData | undefined;
  let manager: ShardEvents | undefined;
  let writing: Promise<void> | undefined;
  let dirty = false;
  /** True while the stored READY is handed to discord.js (not a new READY to store). */
  let replaying = false;

  /** Latest wins, one write in flight; resolves once a write holding every change so far has landed. */
  const persist = (): Promise<void> => {
    dirty = true;
    writing ??= (async () => {
      while (dirty) {
        dirty = false;
        const value: Stored = { sessions, ...(ready ? { ready } : {}) };
        // A fenced or failed write gives the lease up (leasedState); the bot stops on this replica.
        await state.save(KEY, JSON.stringify(value)).catch((err: unknown) => {
          logger.warn(
            { channel: 'discord', err: { name: (err as Error).name, code: (err as { code?: string }).code } },
            'discord session not saved',
          );
        });
      }
    })().finally(() => {
      writing = undefined;
    });
    return writing;
  };

  return {
    async load() {
      const raw = await state.load(KEY);
      if (!raw) return;
      try {
        const stored = JSON.parse(raw) as Stored;
        sessions = stored.sessions ?? {};
        ready = stored.ready;
      } catch {
        sessions = {};
      }
    },
    ws: {
      buildStrategy(m) {
        const events = m as unknown as ShardEvents;
        manager = events;
        const options = m.options;
        // discord.js's own callbacks keep its shard objects in step (its RESUMED handler reads them).
        const theirRetrieve = options.retrieveSessionInfo.bind(options);
        const theirUpdate = options.updateSessionInfo.bind(options);
        options.retrieveSessionInfo = async (shardId: number) => {
          const mine = sessions[String(shardId)] ?? null;
          if (mine && !(await theirRetrieve(shardId))) await theirUpdate(shardId, mine);
          return mine;
        };
        options.updateSessionInfo = async (shardId: number, info: SessionInfo | null) => {
          await theirUpdate(shardId, info);
          const next = { ...sessions };
          if (info) next[String(shardId)] = info;
          else delete next[String(shardId)];
          sessions = next;
          await persist();
        };
        events.on('ready', ({ data }) => {
          if (replaying) return;
          ready = { user: data.user, application: data.application, guilds: data.guilds.map((g) => ({ id: g.id, unavailable: true })) };
          void persist();
        });
        return new SimpleShardingStrategy(m);
      },
    },
    attach(client) {
      // A RESUMEd session sends no READY, and discord.js holds every event back until one came:
      // the stored READY is handed to it, with no guild to wait for (none is resent on a resume).
      client.on('shardResume', (shardId) => {
        if (client.isReady() || !manager || !ready) return;
        const events = manager;
        const stored = ready;
        logger.info({ channel: 'discord', shardId }, 'discord session resumed from another replica');
        // Each guild (its roles) comes from REST, since no GUILD_CREATE follows a resume; events wait meanwhile.
        void Promise.all(stored.guilds.map((g) => client.rest.get(Routes.guild(g.id)).catch(() => ({ id: g.id, unavailable: true })))).then(
          (guilds) => {
            replaying = true;
            try {
              events.emit('ready', { shardId, data: { ...stored, guilds: [] } });
              events.emit('dispatch', { shardId, data: { op: 0, t: 'READY', s: null, d: { ...stored, guilds } } });
            } finally {
              replaying = false;
            }
          },
        );
      });
    },
  };
}
