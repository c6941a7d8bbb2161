import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLog, type AuditService } from '../../src/security/audit/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

type Row = Record<string, unknown> & { seq: number };

describe.each(DATABASE_KINDS)('audit log on %s (LOG-3)', (kind) => {
  let t: TestStorage;
  let audit: AuditService;
  let clock = 1_700_000_000_000;
  const now = () => clock;
  afterEach(async () => t.cleanup());

  async function seed(n = 6): Promise<void> {
    t = await openTestStorage(kind);
    audit = createAuditLog({ storage: t.storage, key: randomBytes(32), now });
    for (let i = 1; i <= n; i++) {
      clock += 1000;
      await audit.record({
        actor: { type: 'user', id: `u${i % 2}` },
        action: i % 2 ? 'auth.login' : 'memory.write',
        target: `t${i}`,
        outcome: 'success',
        requestId: `r${i}`,
        details: { n: i, password: 'hunter2-secret', note: 'Bearer abcdefghijklmnopqrstuvwxyz123456' },
      });
    }
  }
  const raw = () => t.storage.db.withTables<{ audit_log: Row }>();

  it('LOG-3 records redacted entries and filters them newest first', async () => {
    await seed();
    const all = await audit.list();
    expect(all.map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect(JSON.stringify(all)).not.toContain('hunter2');
    expect(JSON.stringify(all)).not.toContain('abcdefghijklmnopqrstuvwxyz123456');
    expect((await audit.list({ action: 'auth.' })).every((e) => e.action === 'auth.login')).toBe(true);
    expect((await audit.list({ userId: 'u0' })).map((e) => e.seq)).toEqual([6, 4, 2]);
    expect((await audit.list({ limit: 2, before: 5 })).map((e) => e.seq)).toEqual([4, 3]);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 6, headSeq: 6 });
  });

  it('LOG-3 verify names an edited entry', async () => {
    await seed();
    await raw().updateTable('audit_log').set({ outcome: 'failure' }).where('seq', '=', 3).execute();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 3 });
  });

  it('LOG-3 verify names a deleted entry in the middle and at the end', async () => {
    await seed();
    await raw().deleteFrom('audit_log').where('seq', '=', 4).execute();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4 });
    await raw().deleteFrom('audit_log').where('seq', '>=', 4).execute();
    const r = await audit.verify();
    expect(r).toMatchObject({ ok: false, seq: 4 });
  });

  it('LOG-3 verify names an inserted entry', async () => {
    await seed();
    const row = (await raw().selectFrom('audit_log').selectAll().where('seq', '=', 6).executeTakeFirstOrThrow()) as Row;
    await raw()
      .insertInto('audit_log')
      .values({ ...row, seq: 7, action: 'admin.grant' })
      .execute();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 7 });
  });

  it('LOG-3 verify names reordered entries', async () => {
    await seed();
    const db = raw();
    await db.updateTable('audit_log').set({ seq: 100 }).where('seq', '=', 2).execute();
    await db.updateTable('audit_log').set({ seq: 2 }).where('seq', '=', 3).execute();
    await db.updateTable('audit_log').set({ seq: 3 }).where('seq', '=', 100).execute();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 2 });
  });

  it('LOG-3 a different key (database access alone) cannot produce a valid chain', async () => {
    await seed(3);
    const forger = createAuditLog({ storage: t.storage, key: randomBytes(32), now });
    await forger.record({ actor: { type: 'system' }, action: 'audit.forged', outcome: 'success' });
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 4 });
  });

  it('LOG-3 retention prunes behind a signed checkpoint; verification still works; a forged checkpoint is caught', async () => {
    await seed(6);
    const cutoff = clock - 2500; // entries 1..3 are older
    expect(await audit.prune(cutoff)).toBe(3);
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 3, fromSeq: 4, headSeq: 6 });
    await audit.record({ actor: { type: 'system' }, action: 'x', outcome: 'success' });
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 4 });
    const cp = t.storage.db.withTables<{ audit_checkpoint: { id: number; seq: number } }>();
    await cp.updateTable('audit_checkpoint').set({ seq: 5 }).where('id', '=', 1).execute();
    expect(await audit.verify()).toMatchObject({ ok: false, reason: expect.stringContaining('checkpoint') });
  });

  it('LOG-3 concurrent appends keep one unbroken chain', async () => {
    await seed(1);
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => audit.record({ actor: { type: 'system' }, action: `c.${i}`, outcome: 'success' })),
    );
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 21 });
  });
});
