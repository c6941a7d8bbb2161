import { Routes, SimpleShardingStrategy, type Client, type SessionInfo, type WebSocketOptions } from 'discord.js';
import type { LeasedState } from '../../cluster/index.js';
import type { Logger } from '../../logging/index.js';

/** @discordjs/ws's manager (discord.js exports its own class under that name). */
type WSWebSocketManager = Parameters<NonNullable<WebSocketOptions['buildStrategy']>>[0];
/** Its events by their wire names (`ready`, `dispatch`), whose enum discord.js shadows with its own. */
interface ShardEvents {
  on(event: 'ready', listener: (payload: { data: ReadyData; shardId: number }) => void): unknown;
  on(event: 'dispatch', listener: (payload: { data: DispatchPayload; shardId: number }) => void): unknown;
  emit(event: 'ready' | 'dispatch', payload: { shardId: number; data: unknown }): unknown;
}

/** What a READY gave the first owner, which a replica that only RESUMEs never receives. */
interface ReadyData {
  readonly user: unknown;
  readonly application: unknown;
  readonly guilds: ReadonlyArray<{ id: string }>;
}

/** A MESSAGE_CREATE taken from the gateway whose handling has not finished (its raw payload). */
interface Pending {
  readonly shardId: number;
  /** When it was taken (ms): one older than PENDING_MAX_AGE_MS is dropped, not redone. */
  readonly at: number;
  readonly d: { readonly id: string } & Record<string, unknown>;
}

interface Stored {
  readonly sessions: Record<string, SessionInfo>;
  readonly ready?: ReadyData;
  readonly pending?: Pending[];
}

/** The key under the lease's state (scope `channel:discord`). */
const KEY = 'gateway';
/** A message a takeover finds pending longer than this is stale (and discord.js may never hand it on): dropped. */
const PENDING_MAX_AGE_MS = 10 * 60_000;

interface DispatchPayload {
  readonly op: number;
  readonly t?: string | null;
  readonly s?: number | null;
  readonly d?: unknown;
}

/**
 * The Discord gateway session in the database (#19), so the replica that takes the bot over
 * RESUMEs the session of the one that died (op 6, with its session id and sequence): Discord then
 * replays what was dispatched after the stored sequence, and nothing from before it.
 *
 * discord.js keeps the session in memory (its options do not expose @discordjs/ws's
 * `retrieveSessionInfo`/`updateSessionInfo`), so `ws.buildStrategy` (a discord.js client option)
 * wraps them on the @discordjs/ws manager, and listens to its dispatches ahead of discord.js.
 * The stored sequence moves only there, with the event in hand: a message (MESSAGE_CREATE) is
 * written as pending in the same write that moves the sequence past it, and leaves `pending`
 * once its handler finished (its reply sent). The next owner redoes what is still pending, once,
 * after it RESUMEd. Handlers call `durable()` before they act, so nothing is answered before the
 * write that keeps it from being replayed (or keeps it pending) has landed. What remains: a crash
 * between a reply and the write clearing it redoes the turn (the adapter sends replies with an
 * enforced nonce, so Discord keeps the person from seeing it twice). A former owner cut off from
 * the lease cannot overwrite its successor's session (CLUSTER_FENCED), and then `durable()` rejects.
 */
export interface DiscordSessionStore {
  /** Reads the stored session and pending messages; call before `client.login`. */
  load(): Promise<void>;
  /** The discord.js client options that route the session through this store. */
  readonly ws: { buildStrategy(manager: WSWebSocketManager): SimpleShardingStrategy };
  /**
   * Call once with the client: a fresh client that RESUMEd is made ready from the stored READY,
   * and once ready, the messages a previous owner left pending are handed to discord.js again.
   */
  attach(client: Client): void;
  /** Resolves once everything dispatched so far is stored; rejects once a write failed (the lease is given up). */
  durable(): Promise<void>;
  /** A message's handling finished (answered, ignored or failed): it is no longer redone. */
  done(messageId: string): void;
}

export function createDiscordSessionStore(state: LeasedState, logger: Logger, now: () => number = Date.now): DiscordSessionStore {
  /** What is stored: its sequence moves only with the event in hand (see the dispatch listener). */
  let sessions: Record<string, SessionInfo> = {};
  /** What @discordjs/ws reads back (heartbeats, a resume within this process): the latest sequence. */
  let live: Record<string, SessionInfo> = {};
  let ready: ReadyData | undefined;
  const pending = new Map<string, Pending>();
  /** What a previous owner left pending, redone once this client is ready. */
  let inherited: Pending[] = [];
  let manager: ShardEvents | undefined;
  let writing: Promise<void> | undefined;
  let dirty = false;
  let failed: Error | undefined;
  /** True while the stored READY is handed to discord.js (not a new READY to store). */
  let replaying = false;

  /** Latest wins, one write in flight; resolves once a write holding every change so far has landed. */
  const persist = (): Promise<void> => {
    dirty = true;
    writing ??= (async () => {
      try {
        while (dirty && !failed) {
          dirty = false;
          const value: Stored = { sessions, ...(ready ? { ready } : {}), pending: [...pending.values()] };
          // A fenced or failed write gives the lease up (leasedState); the bot stops on this replica.
          await state.save(KEY, JSON.stringify(value)).catch((err: unknown) => {
            failed = err instanceof Error ? err : new Error(String(err));
            logger.warn(
              { channel: 'discord', err: { name: (err as Error).name, code: (err as { code?: string }).code } },
              'discord session not saved',
            );
          });
        }
      } finally {
        // cleared in the same turn as the last check of `dirty`, so no change slips between them
        writing = undefined;
      }
    })();
    return writing;
  };

  /** Messages worth redoing: not the bot's own (nor any bot's or webhook's), which the adapter ignores. */
  const takes = (d: unknown): d is Pending['d'] => {
    const m = d as { id?: unknown; author?: { bot?: boolean }; webhook_id?: unknown } | null;
    return typeof m?.id === 'string' && m.author?.bot !== true && !m.webhook_id;
  };

  return {
    async load() {
      const raw = await state.load(KEY);
      if (!raw) return;
      try {
        const stored = JSON.parse(raw) as Stored;
        sessions = stored.sessions ?? {};
        live = { ...sessions };
        ready = stored.ready;
        const fresh = now() - PENDING_MAX_AGE_MS;
        for (const p of stored.pending ?? []) if (p.at >= fresh) pending.set(p.d.id, p);
        inherited = [...pending.values()];
      } catch {
        sessions = {};
        live = {};
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
          const mine = live[String(shardId)] ?? null;
          if (mine && !(await theirRetrieve(shardId))) await theirUpdate(shardId, mine);
          return mine;
        };
        options.updateSessionInfo = async (shardId: number, info: SessionInfo | null) => {
          await theirUpdate(shardId, info);
          const key = String(shardId);
          const next = { ...live };
          if (info) next[key] = info;
          else delete next[key];
          live = next;
          const kept = sessions[key];
          // Only the sequence moved: it is stored with its event (below), once that event is in hand.
          if (info && kept?.sessionId === info.sessionId) return;
          if (!info && !kept) return;
          const stored = { ...sessions };
          if (info) stored[key] = info;
          else delete stored[key];
          sessions = stored;
          await persist();
        };
        // Registered before discord.js's own listener (it attaches after building the manager), so a
        // message is pending before any handler sees it.
        events.on('dispatch', ({ shardId, data }) => {
          const key = String(shardId);
          const kept = sessions[key];
          let changed = false;
          if (typeof data.s === 'number' && kept && data.s > kept.sequence) {
            sessions = { ...sessions, [key]: { ...kept, sequence: data.s } };
            changed = true;
          }
          if (data.t === 'MESSAGE_CREATE' && takes(data.d) && !pending.has(data.d.id)) {
            pending.set(data.d.id, { shardId, at: now(), d: data.d });
            changed = true;
          }
          if (changed) void persist();
        });
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
      // Messages a previous owner took but did not finish go to discord.js again, as dispatched
      // (no sequence: they are not new), once, after the READY (its own or the stored one) is handled.
      client.once('clientReady', () => {
        const redo = inherited;
        inherited = [];
        if (redo.length === 0 || !manager) return;
        const events = manager;
        logger.info({ channel: 'discord', messages: redo.length }, 'discord: finishing messages a previous owner took');
        setImmediate(() => {
          for (const p of redo) events.emit('dispatch', { shardId: p.shardId, data: { op: 0, t: 'MESSAGE_CREATE', s: null, d: p.d } });
        });
      });
    },
    async durable() {
      await writing;
      if (failed) throw failed;
    },
    done(messageId) {
      if (pending.delete(messageId)) void persist();
    },
  };
}
