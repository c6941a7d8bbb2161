import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStorage } from '../../src/storage/index.js';
import { createFifoLock } from '../../src/storage/sqlite-driver.js';
import { tempDir } from '../support/databases.js';

describe('the one SQLite connection, handed out first come, first served', () => {
  it('gives the lock to one holder at a time, waiters in arrival order', async () => {
    const lock = createFifoLock();
    const order: string[] = [];
    expect(lock.acquire()).toBeUndefined();
    const waiters = ['b', 'c', 'd'].map((name) => Promise.resolve(lock.acquire()).then(() => order.push(name)));
    await new Promise((r) => setTimeout(r, 5));
    expect(order).toEqual([]);
    for (let i = 0; i < 3; i++) {
      lock.release();
      await new Promise((r) => setTimeout(r, 1));
      expect(order).toHaveLength(i + 1);
    }
    await Promise.all(waiters);
    expect(order).toEqual(['b', 'c', 'd']);
    lock.release();
    expect(lock.acquire()).toBeUndefined();
  });

  it('never interleaves concurrent transactions, and runs them in the order they asked', async () => {
    const storage = await openStorage({ dataDir: tempDir(), backgroundCheckpoints: false });
    try {
      await sql`create table counter (n integer not null)`.execute(storage.db);
      await sql`insert into counter values (0)`.execute(storage.db);
      const started: number[] = [];
      // Read, yield to the event loop, write: a lost update or a nested "begin" would show.
      await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          storage.db.transaction().execute(async (tx) => {
            started.push(i);
            const { rows } = await sql<{ n: number }>`select n from counter`.execute(tx);
            await new Promise((r) => setTimeout(r, 1));
            await sql`update counter set n = ${rows[0]!.n + 1}`.execute(tx);
          }),
        ),
      );
      const { rows } = await sql<{ n: number }>`select n from counter`.execute(storage.db);
      expect(rows[0]!.n).toBe(30);
      expect(started).toEqual(Array.from({ length: 30 }, (_, i) => i));
    } finally {
      await storage.close();
    }
  });
});
