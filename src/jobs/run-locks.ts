import type pg from 'pg';
import type { Logger } from '../logging/index.js';

/**
 * Which job runs still have a live replica (#19). Each run holds a PostgreSQL session advisory
 * lock keyed by its job id, on a connection of this runner's own; when the process dies its
 * session ends and the lock with it. Any other replica then finds the run active in pg-boss but
 * unlocked, and fails it so pg-boss retries it at once, instead of after the job's expiry (15 min
 * by default), during which the stately queue would run nothing else of that job.
 */
export interface RunLocks {
  /** Marks the run `id` as this process's (before its work starts). */
  hold(id: string): Promise<void>;
  release(id: string): Promise<void>;
  /** Of these active runs (`startedOn` as PostgreSQL's text), those no live session holds: `fail` is called for each while its lock is held here. */
  reap(
    runs: ReadonlyArray<{ id: string; name: string; startedOn: string }>,
    fail: (run: { id: string; name: string }) => Promise<void>,
  ): Promise<number>;
  close(): Promise<void>;
}

/** The run's lock key: the job id's first 64 bits (a uuid: a collision only ever makes a dead run look alive). */
const KEY = `('x' || substr(translate($1::text, '-', ''), 1, 16))::bit(64)::bigint`;

export async function createRunLocks(options: { connectionString: string; schema: string; logger: Logger }): Promise<RunLocks> {
  const { default: pgModule } = await import('pg');
  const held = new Set<string>();
  let client: pg.Client | undefined;
  let closed = false;
  let connecting: Promise<pg.Client> | undefined;

  const connect = async (): Promise<pg.Client> => {
    const c = new pgModule.Client({
      connectionString: options.connectionString,
      application_name: 'hearth-job-runs',
      keepAlive: true,
      // The server notices a dead peer within ~25 s and ends the session, freeing its runs for retry.
      options: '-c tcp_keepalives_idle=10 -c tcp_keepalives_interval=5 -c tcp_keepalives_count=3',
    });
    const lost = () => {
      if (client !== c) return;
      client = undefined;
      if (closed) return;
      options.logger.warn({ runs: held.size }, 'job run lock connection lost; taking the locks again');
      void current().catch(() => undefined);
    };
    c.on('error', lost);
    c.on('end', lost);
    await c.connect();
    // The locks went with the old session: the runs still going here take theirs again.
    for (const id of held) await c.query(`SELECT pg_try_advisory_lock(${KEY})`, [id]);
    client = c;
    return c;
  };
  const current = (): Promise<pg.Client> => {
    if (client) return Promise.resolve(client);
    connecting ??= connect().finally(() => (connecting = undefined));
    return connecting;
  };
  await current();
  const table = `"${options.schema.replace(/"/g, '""')}".job`;

  return {
    async hold(id) {
      await (await current()).query(`SELECT pg_advisory_lock(${KEY})`, [id]);
      held.add(id);
    },
    async release(id) {
      held.delete(id);
      await client?.query(`SELECT pg_advisory_unlock(${KEY})`, [id]).catch(() => undefined);
    },
    async reap(runs, fail) {
      let reaped = 0;
      const c = await current();
      for (const run of runs) {
        // This session's own locks are re-entrant: its own runs are never candidates.
        if (held.has(run.id)) continue;
        const got = await c.query<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${KEY}) AS ok`, [run.id]);
        if (!got.rows[0]?.ok) continue;
        try {
          // Still the same dead run (another replica may have failed it and a third fetched it since)?
          const still = await c.query(`SELECT 1 FROM ${table} WHERE id = $1 AND state = 'active' AND started_on::text = $2`, [
            run.id,
            run.startedOn,
          ]);
          if (still.rowCount) {
            await fail(run);
            reaped++;
          }
        } finally {
          await c.query(`SELECT pg_advisory_unlock(${KEY})`, [run.id]);
        }
      }
      return reaped;
    },
    async close() {
      closed = true;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
