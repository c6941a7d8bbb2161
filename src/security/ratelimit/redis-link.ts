import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logging/index.js';

/** How long requests wait for the first connection before they are limited in-process. */
const FIRST_CONNECT_MS = 1000;
/** A command slower than this is an outage (a server that accepts but no longer answers). */
const COMMAND_TIMEOUT_MS = 500;
/** While Redis is down, how often it is tried again. */
const PROBE_MS = 1000;

/** The limiter's connection to Redis and its health: asked only while it answers. */
export interface RedisLink {
  readonly client: Redis;
  /** Whether to ask Redis now; waits (boundedly) only for the first connection. */
  usable(): boolean | Promise<boolean>;
  up(): boolean;
  /** A command failed (not a rate-limit refusal): limit in-process until Redis answers again. */
  failed(err: unknown): void;
  close(): void;
}

/**
 * Connects to Redis for the limiter (HTTP-3). An outage is detected once (a refused or closed
 * connection, a command timeout); from then on requests are limited in-process at once, without
 * waiting on Redis, and a probe every second brings Redis back when it answers again.
 */
export function connectRedis(url: string, logger: Logger): RedisLink {
  // ioredis loads only when Redis is configured (synchronously: the limiter's factory is not async).
  const { Redis: RedisClient } = createRequire(import.meta.url)('ioredis') as { Redis: typeof Redis };
  const client = new RedisClient(url, {
    // Never queue or resend while disconnected: a command either goes out now or fails now.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: FIRST_CONNECT_MS,
  });
  let state: 'connecting' | 'up' | 'down' | 'closed' = 'connecting';
  let settle!: () => void;
  const firstConnection = new Promise<void>((resolve) => (settle = resolve));
  let probe: NodeJS.Timeout | undefined;

  const markDown = (reason: string) => {
    if (state === 'down' || state === 'closed') return;
    state = 'down';
    settle();
    logger.warn({ err: { message: reason } }, 'rate limiter: Redis unreachable; limiting in-process until it returns');
    probe ??= setInterval(tryAgain, PROBE_MS).unref();
  };
  const markUp = () => {
    if (state === 'up' || state === 'closed') return;
    if (state === 'down') logger.info('rate limiter: Redis reachable again');
    state = 'up';
    settle();
    clearInterval(probe);
    probe = undefined;
  };
  function tryAgain() {
    // Connected but silent (no PONG, or stuck before ready): drop the connection and dial again.
    if (client.status === 'ready') client.ping().then(markUp, () => client.disconnect(true));
    else if (client.status === 'connect') client.disconnect(true);
  }
  client.on('ready', markUp);
  client.on('error', (err: Error) => markDown(err.message));
  client.on('close', () => markDown('connection closed'));
  setTimeout(() => state === 'connecting' && markDown('no answer to the first connection'), FIRST_CONNECT_MS).unref();

  return {
    client,
    usable: () => (state === 'connecting' ? firstConnection.then(() => state === 'up') : state === 'up'),
    up: () => state === 'up',
    failed: (err) => markDown(err instanceof Error ? err.message : 'command failed'),
    close() {
      state = 'closed';
      settle();
      clearInterval(probe);
      client.disconnect();
    },
  };
}
