import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../src/security/audit/index.js';
import { openTestStorage, PG_URL, type TestStorage } from '../support/databases.js';

type Row = { seq: number; action: string; outcome: string };

/** Resolves once the child has printed `line`; rejects if it exits first. */
function waitLine(child: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.split('\n').includes(line)) resolve();
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`audit child exited (${code}) before "${line}": ${err.slice(-2000)}`)));
  });
}

// Issue #19: appends are batched per process (one head lock per batch); two processes appending at
// once must still build one unbroken chain, and tampering must still be found (LOG-3).
describe('audit chain with two processes appending at once on PostgreSQL (LOG-3, #19)', () => {
  let t: TestStorage | undefined;
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
    await t?.cleanup();
  });

  it('LOG-3 concurrent appends from two replicas verify, interleave, and a tampered or deleted row is still found', async () => {
    t = await openTestStorage('postgres');
    const key = randomBytes(32);
    const spawnChild = (name: string) => {
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', 'test/support/audit-child.ts', PG_URL, t!.pgSchema!, key.toString('hex'), name, '300'],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      children.push(child);
      return child;
    };
    const a = spawnChild('a');
    const b = spawnChild('b');
    await Promise.all([waitLine(a, 'ready'), waitLine(b, 'ready')]);
    const done = Promise.all([waitLine(a, 'done'), waitLine(b, 'done')]);
    a.stdin!.write('go\n');
    b.stdin!.write('go\n');
    await done;

    const audit = createAuditLog({ storage: t.storage, key });
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 600, headSeq: 600 });
    const db = t.storage.db.withTables<{ audit_log: Row }>();
    const rows = await db.selectFrom('audit_log').select(['seq', 'action', 'outcome']).orderBy('seq').execute();
    expect(rows.map((r) => Number(r.seq))).toEqual(Array.from({ length: 600 }, (_, i) => i + 1));
    // Every entry of each process is there once; and the two processes did append at the same time.
    for (const name of ['a', 'b'])
      expect(
        rows
          .filter((r) => r.action.startsWith(`${name}.`))
          .map((r) => r.action)
          .sort(),
      ).toEqual(Array.from({ length: 300 }, (_, i) => `${name}.${i}`).sort());
    const runs = rows.filter((r, i) => i === 0 || r.action[0] !== rows[i - 1]!.action[0]).length;
    expect(runs).toBeGreaterThan(2);

    // An entry edited in the middle of a batch is named.
    await db.updateTable('audit_log').set({ outcome: 'failure' }).where('seq', '=', 301).execute();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 301 });
    await db.updateTable('audit_log').set({ outcome: 'success' }).where('seq', '=', 301).execute();
    expect(await audit.verify()).toMatchObject({ ok: true, entries: 600 });
    // A deleted one too.
    await db.deleteFrom('audit_log').where('seq', '=', 450).execute();
    expect(await audit.verify()).toMatchObject({ ok: false, seq: 450 });
  }, 120_000);
});
