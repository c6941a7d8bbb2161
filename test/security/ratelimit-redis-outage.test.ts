import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import { createRateLimiter, type HearthRateLimiter } from '../../src/security/ratelimit/index.js';
import { LogCapture, startTestHearth, type TestHearth } from '../support/hearth.js';

const REDIS_PORT = 6379;
/**
 * Bounds on a whole test, not timing assertions: before issue #15.5 every request waited
 * seconds for Redis (and forever with a server that does not answer), so these tests ran out.
 */
const BOUND = { timeout: 30_000 };

async function listening(server: Server, port = 0): Promise<number> {
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return (server.address() as AddressInfo).port;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  const port = await listening(s);
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A TCP server that accepts connections and never answers (a hung Redis, a black-holed path). */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  const port = await listening(server);
  return {
    port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A forwarder to the real Redis on `port` that can hold its traffic (a stall) and release it. */
async function stallableRedis(port = 0) {
  let stalled = false;
  const held: Array<() => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(REDIS_PORT, '127.0.0.1');
    sockets.add(client).add(upstream);
    const pipe = (from: Socket, to: Socket) =>
      from.on('data', (chunk: Buffer) => (stalled ? held.push(() => to.write(chunk)) : to.write(chunk)));
    pipe(client, upstream);
    pipe(upstream, client);
    for (const s of [client, upstream]) {
      s.on('error', () => undefined);
      s.on('close', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  const bound = await listening(server, port);
  return {
    port: bound,
    stall: () => void (stalled = true),
    release: () => {
      stalled = false;
      for (const write of held.splice(0)) write();
    },
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until(condition: () => boolean, what: string, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('with Redis down, the limiter fails fast to in-process limits, never open, and recovers (issue #15.5)', () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const f of cleanup.splice(0).reverse()) await f();
  });
  const limiterAt = (port: number, points = 5, logs = new LogCapture()) => {
    const limiter = createRateLimiter({
      budgets: { b: { points, durationSec: 60 } },
      logger: createLogger({ level: 'info', destination: logs }),
      redisUrl: `redis://127.0.0.1:${port}`,
      keyPrefix: `hearth-test-${randomBytes(6).toString('hex')}`,
    });
    cleanup.push(() => limiter.close());
    return limiter;
  };
  const consumeMany = async (limiter: HearthRateLimiter, n: number, key = '192.0.2.1') => {
    const allowed: boolean[] = [];
    for (let i = 0; i < n; i++) allowed.push((await limiter.consume('b', key)).allowed);
    return allowed;
  };

  it('#15.5 Redis at a closed port: the limiter reports fallback mode and still limits at the budget', BOUND, async () => {
    const logs = new LogCapture();
    const limiter = limiterAt(await closedPort(), 5, logs);
    const allowed = await consumeMany(limiter, 40);
    expect(allowed.filter(Boolean)).toHaveLength(5);
    expect(allowed.slice(0, 5)).toEqual([true, true, true, true, true]);
    expect(limiter.mode()).toBe('fallback');
    expect(logs.text.match(/Redis unreachable/g)).toHaveLength(1); // detected once, not per request
  });

  it('#15.5 a server that accepts and never answers: fallback mode, every request answered, limits apply', BOUND, async () => {
    const silent = await silentServer();
    cleanup.push(() => silent.close());
    const limiter = limiterAt(silent.port);
    const allowed = await consumeMany(limiter, 40);
    expect(allowed.filter(Boolean)).toHaveLength(5);
    expect(limiter.mode()).toBe('fallback');
  });

  it('#15.5 a whole Hearth with HEARTH_REDIS_URL at a closed port answers and limits every request', BOUND, async () => {
    const t: TestHearth = await startTestHearth({
      env: { HEARTH_REDIS_URL: `redis://127.0.0.1:${await closedPort()}`, HEARTH_RATE_ANON_PROBES: '10' },
    });
    cleanup.push(() => t.close());
    const codes: number[] = [];
    for (let i = 0; i < 30; i++) codes.push((await t.app.inject({ method: 'GET', url: '/api/health' })).statusCode);
    expect(codes.filter((c) => c === 200)).toHaveLength(10);
    expect(codes.filter((c) => c === 429)).toHaveLength(20);
    expect(t.hearth.rateLimiter.mode()).toBe('fallback');
  });

  it('#15.5 recovers when Redis returns: a stall is detected, limits stay in-process, then Redis is used again', BOUND, async () => {
    const port = await closedPort();
    const limiter = limiterAt(port);
    expect((await limiter.consume('b', 'k1')).allowed).toBe(true);
    expect(limiter.mode()).toBe('fallback');
    // Redis comes up on that port.
    const redis = await stallableRedis(port);
    cleanup.push(() => redis.close());
    await until(() => limiter.mode() === 'redis', 'the limiter to reconnect');
    expect(await consumeMany(limiter, 7, 'k2')).toEqual([true, true, true, true, true, false, false]);
    // Redis stops answering: detected, then requests are answered in-process, still limited.
    redis.stall();
    const during = await consumeMany(limiter, 7, 'k3');
    expect(during.filter(Boolean)).toHaveLength(5);
    expect(limiter.mode()).toBe('fallback');
    // It answers again: the limiter goes back to the shared counts (k2 is still spent in Redis).
    redis.release();
    await until(() => limiter.mode() === 'redis', 'the limiter to use Redis again');
    expect((await limiter.consume('b', 'k2')).allowed).toBe(false);
  });
});
