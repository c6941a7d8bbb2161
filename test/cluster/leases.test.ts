import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterError, createLeases, createSharedState, leasedState, type Lease } from '../../src/cluster/index.js';
import { createLogger } from '../../src/logging/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';
import { LogCapture } from '../support/log-capture.js';

describe.each(DATABASE_KINDS)('#19 leases and fenced state (%s)', (kind) => {
  let db: TestStorage | undefined;
  afterEach(async () => {
    await db?.cleanup();
  });

  it('a holder’s write is refused (CLUSTER_FENCED) once a newer holder exists, and the refused holder gives the lease up', async () => {
    db = await openTestStorage(kind);
    const logger = createLogger({ level: 'debug', destination: new LogCapture() });
    const leases = createLeases({ storage: db.storage, logger, replicaId: 'r1', now: Date.now, retryMs: 50, checkMs: 200 });
    const state = createSharedState({ storage: db.storage, now: Date.now });
    const started: Lease[] = [];
    let stops = 0;
    const stop = leases.run('channel:test', {
      start: async (lease) => void started.push(lease),
      stop: async () => void stops++,
    });
    for (let i = 0; i < 400 && started.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const first = started[0]!;
    expect(leases.holding('channel:test')).toBe(true);
    const mine = leasedState(state, 'channel:test', first);
    await mine.save('offset', '41');
    expect(await mine.load('offset')).toBe('41');

    // another replica won the lease meanwhile (its token is newer)
    await sql`UPDATE cluster_leases SET token = token + 1 WHERE name = 'channel:test'`.execute(db.storage.db);
    const refused = await mine.save('offset', '7').catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(ClusterError);
    expect((refused as ClusterError).code).toBe('CLUSTER_FENCED');
    expect(await state.get('channel:test', 'offset')).toBe('41');
    expect(first.signal.aborted).toBe(true);
    // the work was stopped, and the lease is tried for again with a newer token
    for (let i = 0; i < 400 && started.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(stops).toBeGreaterThanOrEqual(1);
    expect(started[1]!.token).toBeGreaterThan(first.token + 1);
    await stop();
    await leases.close();
  });

  it('a stranger to the lease cannot write under a made-up token', async () => {
    db = await openTestStorage(kind);
    const state = createSharedState({ storage: db.storage, now: Date.now });
    const err = await state.put('channel:x', 'k', 'v', { name: `channel:${randomUUID()}`, token: 1 }).catch((e: unknown) => e);
    expect((err as ClusterError).code).toBe('CLUSTER_FENCED');
    expect(await state.get('channel:x', 'k')).toBeUndefined();
  });
});

describe('#19 PostgreSQL: one holder at a time across processes’ sessions', () => {
  let db: TestStorage | undefined;
  afterEach(async () => {
    await db?.cleanup();
  });

  it('of two lease runners on one schema only one holds the lease; when it stops, the other takes it', async () => {
    db = await openTestStorage('postgres');
    const logger = createLogger({ level: 'debug', destination: new LogCapture() });
    const running = new Set<string>();
    let most = 0;
    const runner = (id: string) => {
      const leases = createLeases({ storage: db!.storage, logger, replicaId: id, now: Date.now, retryMs: 50, checkMs: 200 });
      const stop = leases.run('channel:both', {
        start: async () => {
          running.add(id);
          most = Math.max(most, running.size);
        },
        stop: async () => void running.delete(id),
      });
      return { leases, stop };
    };
    const a = runner('a');
    const b = runner('b');
    for (let i = 0; i < 400 && running.size === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(running.size).toBe(1);
    const [first] = [...running];
    await (first === 'a' ? a : b).stop();
    for (let i = 0; i < 400 && (running.size === 0 || running.has(first!)); i++) await new Promise((r) => setTimeout(r, 10));
    expect([...running]).toEqual([first === 'a' ? 'b' : 'a']);
    // never two at once, through the loser's retries and the handover
    expect(most).toBe(1);
    await a.leases.close();
    await b.leases.close();
  });
});
