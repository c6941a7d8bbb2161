import { sql } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../logging/index.js';
import type { Storage } from '../storage/index.js';
import { ClusterError } from './errors.js';
import { busChannel } from './migrations.js';

/** Who sent a message: a replica id, or `database` for a row-change trigger. */
type BusHandler = (data: unknown, from: string) => void | Promise<void>;

/**
 * Messages between replicas (#19): PostgreSQL LISTEN/NOTIFY on one channel per schema, so two
 * Hearths in one database never hear each other; on SQLite (one process) they go to this
 * process's own subscribers. At most once: a message sent while a replica's listening connection
 * is down is not replayed to it, so a reconnect is announced to `onReconnect` handlers (caches drop
 * everything then).
 */
export interface Bus {
  readonly replicaId: string;
  /** Sends to every replica, this one included. */
  publish(topic: string, data: unknown): Promise<void>;
  subscribe(topic: string, handler: BusHandler): () => void;
  /** Called after the listening connection was lost and is back (messages may have been missed). */
  onReconnect(handler: () => void): () => void;
  /** Starts listening (the server does; CLI commands only publish). */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface BusOptions {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly replicaId: string;
  /** Wait before reconnecting a lost listener (default 1 s, doubling to 30 s). */
  readonly retryMs?: number;
}

/** NOTIFY payloads must stay under 8000 bytes. */
const MAX_PAYLOAD_BYTES = 7900;

export function createBus(options: BusOptions): Bus {
  const { storage, logger, replicaId } = options;
  const handlers = new Map<string, Set<BusHandler>>();
  const reconnects = new Set<() => void>();
  const channel = busChannel(storage.pgSchema ?? 'public');
  let client: pg.Client | undefined;
  let closed = false;
  let started = false;
  let retry: NodeJS.Timeout | undefined;

  const dispatch = (raw: string) => {
    let message: { topic?: unknown; from?: unknown; data?: unknown };
    try {
      message = JSON.parse(raw) as typeof message;
    } catch {
      return logger.warn({ channel }, 'bus message is not JSON; ignored');
    }
    if (typeof message.topic !== 'string' || typeof message.from !== 'string') return;
    for (const handler of handlers.get(message.topic) ?? []) {
      void Promise.resolve()
        .then(() => handler(message.data, message.from as string))
        .catch((err: unknown) => logger.warn({ topic: message.topic, err: { name: (err as Error).name } }, 'bus handler failed'));
    }
  };

  const listen = async (delay: number): Promise<void> => {
    const { default: pgModule } = await import('pg');
    const pool = storage.pool!;
    const next = new pgModule.Client({ ...pool.options, application_name: 'hearth-bus', keepAlive: true });
    const lost = () => {
      if (client !== next) return;
      client = undefined;
      void next.end().catch(() => undefined);
      if (closed) return;
      logger.warn({ channel }, 'bus connection lost; reconnecting');
      retry = setTimeout(() => void reconnect(Math.min(delay * 2, 30_000)), delay);
    };
    next.on('error', lost);
    next.on('end', lost);
    next.on('notification', (n) => n.channel === channel && n.payload !== undefined && dispatch(n.payload));
    await next.connect();
    await next.query(`LISTEN "${channel}"`);
    client = next;
    if (closed) await next.end().catch(() => undefined);
  };
  const reconnect = async (delay: number) => {
    try {
      await listen(delay);
      for (const handler of reconnects) handler();
    } catch {
      if (!closed) retry = setTimeout(() => void reconnect(Math.min(delay * 2, 30_000)), delay);
    }
  };

  return {
    replicaId,
    async publish(topic, data) {
      const payload = JSON.stringify({ topic, from: replicaId, data });
      if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
        throw new ClusterError('CLUSTER_MESSAGE_TOO_LARGE', `bus message on ${topic} is over ${MAX_PAYLOAD_BYTES} bytes`);
      if (storage.dialect === 'postgres') await sql`SELECT pg_notify(${channel}, ${payload})`.execute(storage.db);
      else queueMicrotask(() => dispatch(payload));
    },
    subscribe(topic, handler) {
      const set = handlers.get(topic) ?? new Set();
      handlers.set(topic, set);
      set.add(handler);
      return () => set.delete(handler);
    },
    onReconnect(handler) {
      reconnects.add(handler);
      return () => reconnects.delete(handler);
    },
    async start() {
      if (started || closed || storage.dialect !== 'postgres') return;
      started = true;
      const delay = options.retryMs ?? 1000;
      await listen(delay).catch(() => {
        logger.warn({ channel }, 'bus could not listen yet; retrying');
        retry = setTimeout(() => void reconnect(delay * 2), delay);
      });
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
