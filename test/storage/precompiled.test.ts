import { sql, type Kysely } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createQueryCache } from '../../src/storage/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

type Tables = {
  pc_item: { name: string; n: number; tag: string };
};

for (const kind of DATABASE_KINDS) {
  describe(`queries compiled once per shape, on ${kind}`, () => {
    let t: TestStorage | undefined;
    afterEach(async () => {
      await t?.cleanup();
      t = undefined;
    });

    async function open() {
      t = await openTestStorage(kind, { migrate: false });
      const db = t.storage.db.withTables<Tables>() as unknown as Kysely<Tables>;
      await sql`create table pc_item (name text primary key, n integer not null, tag text not null)`.execute(db);
      return db;
    }

    it('binds each call its own values, keeps the constants, and counts what an upsert changed', async () => {
      const db = await open();
      const queries = createQueryCache();
      const upsert = (rows: Array<[string, number]>, max: number) =>
        queries.run(
          db,
          `upsert:${rows.length}`,
          (q, slot) =>
            q
              .insertInto('pc_item')
              .values(rows.map((_, i) => ({ name: slot(1 + 2 * i) as string, n: slot(2 + 2 * i) as number, tag: 'constant' })))
              .onConflict((oc) =>
                oc
                  .column('name')
                  .doUpdateSet((eb) => ({ n: eb('pc_item.n', '+', eb.ref('excluded.n')) }))
                  .where((eb) => eb(eb('pc_item.n', '+', eb.ref('excluded.n')), '<=', slot(0) as number)),
              ),
          [max, ...rows.flat()],
        );
      expect(
        Number(
          (
            await upsert(
              [
                ['a', 1],
                ['b', 2],
              ],
              10,
            )
          ).numAffectedRows,
        ),
      ).toBe(2);
      // Same shape, other values: only the row that stays within the bound changes.
      expect(
        Number(
          (
            await upsert(
              [
                ['a', 5],
                ['b', 9],
              ],
              10,
            )
          ).numAffectedRows,
        ),
      ).toBe(1);
      expect(Number((await upsert([['c', 7]], 10)).numAffectedRows)).toBe(1);
      const rows = await db.selectFrom('pc_item').selectAll().orderBy('name').execute();
      expect(rows.map((r) => [r.name, Number(r.n), r.tag])).toEqual([
        ['a', 6, 'constant'],
        ['b', 2, 'constant'],
        ['c', 7, 'constant'],
      ]);
    });

    it('runs on the handle it is given: inside a transaction, rolled back with it', async () => {
      const db = await open();
      const queries = createQueryCache();
      const insert = (q: Kysely<Tables>, name: string) =>
        queries.run(q, 'insert', (h, slot) => h.insertInto('pc_item').values({ name: slot(0) as string, n: 1, tag: 'x' }), [name]);
      const byName = (q: Kysely<Tables>, names: string[]) =>
        queries.run(
          q,
          `select:${names.length}`,
          (h, slot) =>
            h
              .selectFrom('pc_item')
              .select('name')
              .where(
                'name',
                'in',
                names.map((_, i) => slot(i) as string),
              )
              .orderBy('name'),
          names,
        );
      await insert(db, 'kept');
      await expect(
        db.transaction().execute(async (tx) => {
          await insert(tx, 'rolled-back');
          expect((await byName(tx, ['kept', 'rolled-back'])).rows).toEqual([{ name: 'kept' }, { name: 'rolled-back' }]);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await byName(db, ['kept', 'rolled-back'])).rows).toEqual([{ name: 'kept' }]);
      expect((await byName(db, ['nobody'])).rows).toEqual([]);
      // A value that looks like SQL is only ever a bound value.
      await insert(db, "x'); drop table pc_item; --");
      expect((await byName(db, ["x'); drop table pc_item; --"])).rows).toHaveLength(1);
    });
  });
}
