import { sql, type Kysely } from 'kysely';
import type pg from 'pg';
import type { Logger } from '../logging/index.js';
import type { Storage } from '../storage/index.js';
import type { ClusterTables } from './migrations.js';

/** What a holder gets: its fencing token (higher than every earlier holder's), and a way to give the lease up. */
export interface Lease {
  readonly name: string;
  readonly token: number;
  /** Aborted once the lease is lost or released: stop acting for it. */
  readonly signal: AbortSignal;
  /** Gives the lease up (e.g. a fenced write showed a newer holder); the work is stopped and acquisition retried. */
  abandon(reason: string): void;
}

/** Work that must run on exactly one replica at a time (a bot connection). */
interface LeasedWork {
  /** Called once this replica holds the lease; a throw releases it and acquisition is retried with backoff. */
  start(lease: Lease): Promise<void>;
  /** Called when the lease is lost or released; the next holder may start at once after it returns. */
  stop(): Promise<void>;
}

export interface Leases {
  /** Keeps trying to hold `name` and runs `work` while holding it; the returned function stops trying (and the work). */
  run(name: string, work: LeasedWork): () => Promise<void>;
  /** Whether this replica holds `name` now. */
  holding(name: string): boolean;
  /** Stops every run and releases every lease. */
  close(): Promise<void>;
}

export interface LeaseOptions {
  readonly storage: Storage;
  readonly logger: Logger;
  readonly replicaId: string;
  readonly now: () => number;
  /** How often a replica without the lease tries again (default 5 s). */
  readonly retryMs?: number;
  /** How often the holder checks its lock connection is alive (default 5 s). */
  readonly checkMs?: number;
}

/** A held lock: its lease, a promise settled when it is lost, and how to let it go. */
interface Held {
  readonly lease: Lease;
  readonly lost: Promise<string>;
  release(): Promise<void>;
}

const DEFAULT_RETRY_MS = 5000;
const DEFAULT_CHECK_MS = 5000;
/** Start failures (a bad token) back off up to this, so a broken bot does not fill the log. */
const MAX_BACKOFF_MS = 5 * 60_000;

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });

/** The next fencing token of `name`, recorded with its holder. */
async function bumpToken<DB>(db: Kysely<DB>, name: string, holder: string, at: number): Promise<number> {
  const row = await sql<{ token: number | string }>`
    INSERT INTO cluster_leases (name, token, holder, acquired_at) VALUES (${name}, 1, ${holder}, ${at})
    ON CONFLICT (name) DO UPDATE SET token = cluster_leases.token + 1, holder = excluded.holder, acquired_at = excluded.acquired_at
    RETURNING token`.execute(db);
  return Number(row.rows[0]!.token);
}

function heldLease(name: string, token: number): { lease: Lease; lost: Promise<string>; lose: (reason: string) => void } {
  const controller = new AbortController();
  let lose!: (reason: string) => void;
  const lost = new Promise<string>((resolve) => {
    lose = (reason) => {
      if (controller.signal.aborted) return;
      controller.abort();
      resolve(reason);
    };
  });
  return { lease: { name, token, signal: controller.signal, abandon: (reason) => lose(reason) }, lost, lose };
}

/**
 * Leases by PostgreSQL session advisory lock (#19): the lock is taken on a connection of its own,
 * held while the work runs, and gone the moment that session ends (process killed, connection
 * cut, TCP keepalive expired), so another replica's next try wins it. The lock key is the schema
 * and the name, so two Hearths in one database never share a lease. On SQLite (one process) the
 * lease is always this process's.
 */
export function createLeases(options: LeaseOptions): Leases {
  const { storage, logger, replicaId } = options;
  const retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  const checkMs = options.checkMs ?? DEFAULT_CHECK_MS;
  const db = storage.db.withTables<ClusterTables>();
  const namespace = storage.pgSchema ?? 'public';
  const runs = new Set<() => Promise<void>>();
  const held = new Set<string>();

  const acquirePostgres = async (name: string): Promise<Held | undefined> => {
    const pool = storage.pool!;
    const { default: pgModule } = await import('pg');
    // Dead peers are noticed by the server within ~25 s (idle 10 s + 3 × 5 s probes), which frees the lock.
    const keepalive = '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3';
    const config: pg.ClientConfig = {
      ...pool.options,
      options: [pool.options.options, keepalive].filter(Boolean).join(' '),
      application_name: `hearth-lease:${name}`.slice(0, 63),
      keepAlive: true,
      query_timeout: checkMs,
    };
    const client = new pgModule.Client(config);
    let lose: ((reason: string) => void) | undefined;
    client.on('error', () => lose?.('lock connection failed'));
    client.on('end', () => lose?.('lock connection ended'));
    await client.connect();
    let locked = false;
    try {
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), hashtext($2)) AS ok', [namespace, name]);
      locked = got.rows[0]?.ok === true;
      if (!locked) {
        await client.end();
        return undefined;
      }
      const row = await client.query<{ token: string }>(
        `INSERT INTO cluster_leases (name, token, holder, acquired_at) VALUES ($1, 1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET token = cluster_leases.token + 1, holder = excluded.holder, acquired_at = excluded.acquired_at
         RETURNING token`,
        [name, replicaId, options.now()],
      );
      const h = heldLease(name, Number(row.rows[0]!.token));
      lose = h.lose;
      const check = setInterval(() => void client.query('SELECT 1').catch(() => h.lose('lock connection stopped answering')), checkMs);
      check.unref();
      return {
        lease: h.lease,
        lost: h.lost,
        async release() {
          clearInterval(check);
          h.lose('released');
          // Ending the session releases the lock whether or not the unlock got through.
          await client.query('SELECT pg_advisory_unlock(hashtext($1), hashtext($2))', [namespace, name]).catch(() => undefined);
          await client.end().catch(() => undefined);
        },
      };
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
  };

  const acquireLocal = async (name: string): Promise<Held> => {
    const h = heldLease(name, await bumpToken(db, name, replicaId, options.now()));
    return {
      lease: h.lease,
      lost: h.lost,
      release: async () => h.lose('released'),
    };
  };

  const acquire = (name: string) => (storage.dialect === 'postgres' ? acquirePostgres(name) : acquireLocal(name));

  return {
    run(name, work) {
      const stopping = new AbortController();
      let current: Held | undefined;
      const loop = (async () => {
        let backoff = retryMs;
        while (!stopping.signal.aborted) {
          const got = await acquire(name).catch((err: unknown) => {
            logger.warn({ lease: name, err: { name: (err as Error).name, message: (err as Error).message } }, 'lease attempt failed');
            return undefined;
          });
          if (!got) {
            await sleep(retryMs, stopping.signal);
            continue;
          }
          current = got;
          if (stopping.signal.aborted) {
            await got.release();
            break;
          }
          held.add(name);
          let started = false;
          try {
            await work.start(got.lease);
            started = true;
            backoff = retryMs;
            // not `token`: the logger redacts every field whose name ends so
            logger.info({ lease: name, fencing: got.lease.token, holder: replicaId }, 'lease acquired');
          } catch (err) {
            logger.error(
              { lease: name, err: { name: (err as Error).name, message: (err as Error).message } },
              'leased work failed to start',
            );
          }
          const reason = started ? await got.lost : 'start failed';
          if (started)
            await work
              .stop()
              .catch((err: unknown) => logger.warn({ lease: name, err: { name: (err as Error).name } }, 'leased work failed to stop'));
          held.delete(name);
          await got.release();
          current = undefined;
          if (stopping.signal.aborted) break;
          if (reason !== 'released') logger.warn({ lease: name, reason }, 'lease lost; work stopped, trying again');
          const wait = started ? retryMs : backoff;
          if (!started) backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
          await sleep(wait, stopping.signal);
        }
      })();
      const stop = async () => {
        stopping.abort();
        current?.lease.abandon('released');
        await loop;
        runs.delete(stop);
      };
      runs.add(stop);
      return stop;
    },
    holding: (name) => held.has(name),
    async close() {
      await Promise.all([...runs].map((stop) => stop()));
    },
  };
}
