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

  // Statements outside a transaction run straight on the connection when it is free (sqlite-driver.ts):
  // they must still never land inside a transaction another caller holds open.
  it('runs a statement of the root handle only after an open transaction ends, never inside it', async () => {
    const storage = await openStorage({ dataDir: tempDir(), backgroundCheckpoints: false });
    try {
      await sql`create table item (name text not null)`.execute(storage.db);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let inside!: () => void;
      const opened = new Promise<void>((r) => (inside = r));
      const rolledBack = storage.db
        .transaction()
        .execute(async (tx) => {
          await sql`insert into item values ('in the transaction')`.execute(tx);
          inside();
          await held;
          throw new Error('roll back');
        })
        .catch((err: unknown) => err);
      await opened;
      // Issued while the transaction is open: a read must not see its row, a write must not join it.
      const seen = sql<{ name: string }>`select name from item`.execute(storage.db);
      const written = storage.db.withTables<{ item: { name: string } }>().insertInto('item').values({ name: 'outside' }).execute();
      release();
      expect(await rolledBack).toBeInstanceOf(Error);
      expect((await seen).rows).toEqual([]);
      await written;
      const { rows } = await sql<{ name: string }>`select name from item`.execute(storage.db);
      expect(rows).toEqual([{ name: 'outside' }]);
    } finally {
      await storage.close();
    }
  });

  it('answers results as kysely does: inserted and affected rows, errors as rejections', async () => {
    const storage = await openStorage({ dataDir: tempDir(), backgroundCheckpoints: false });
    try {
      await sql`create table item (id integer primary key, name text not null unique)`.execute(storage.db);
      const db = storage.db.withTables<{ item: { id: number; name: string } }>();
      const inserted = await db.insertInto('item').values({ id: 7, name: 'a' }).executeTakeFirst();
      expect(inserted.insertId).toBe(7n);
      expect(inserted.numInsertedOrUpdatedRows).toBe(1n);
      await db.insertInto('item').values({ id: 8, name: 'b' }).execute();
      const updated = await db
        .updateTable('item')
        .set({ name: sql`name || '!'` })
        .executeTakeFirst();
      expect(updated.numUpdatedRows).toBe(2n);
      expect(await db.selectFrom('item').select('name').orderBy('id').execute()).toEqual([{ name: 'a!' }, { name: 'b!' }]);
      await expect(db.insertInto('item').values({ id: 9, name: 'a!' }).execute()).rejects.toMatchObject({
        code: 'SQLITE_CONSTRAINT_UNIQUE',
      });
      // The connection is free again after a failed statement.
      expect(await db.selectFrom('item').select('id').where('id', '=', 9).executeTakeFirst()).toBeUndefined();
    } finally {
      await storage.close();
    }
  });
});
