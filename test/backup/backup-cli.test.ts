import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createBackup, restoreBackup } from '../../src/backup/index.js';
import { createVault } from '../../src/security/vault/index.js';
import { runHearth } from '../support/cli.js';
import { tempDir } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const KEY = randomBytes(32).toString('hex');
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('backup and restore (DATA-6), CLI commands (DATA-1, LOG-3, HOOK-1)', { timeout: 240_000 }, () => {
  const open: TestHearth[] = [];
  afterAll(async () => {
    for (const t of open) await t.close();
  });

  it('DATA-6 backs up while serving, restores into an empty data dir and reads every secret back', async () => {
    const a = await startTestHearth({ env: { HEARTH_MASTER_KEY: KEY } });
    open.push(a);
    const secrets = new Map<string, string>();
    for (const name of ['erasure', 'invalidate']) secrets.set(name, await a.hearth.webhooks.createSecret(name));
    // Writes continue while the snapshot is taken.
    let writing = true;
    const writer = (async () => {
      let i = 0;
      while (writing) {
        await a.hearth.audit.record({ actor: { type: 'system' }, action: `load.${i++}`, outcome: 'success' });
        await new Promise((r) => setImmediate(r));
      }
    })();
    const file = join(tempDir(), 'hearth.bak');
    const res = await createBackup({ storage: a.hearth.storage, vault: a.hearth.vault, dataDir: a.dataDir, file });
    writing = false;
    await writer;
    expect(res.keyId).toBe(a.hearth.vault.keyId);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const bytes = readFileSync(file);
    expect(bytes.includes(Buffer.from('SQLite format'))).toBe(false);
    expect(bytes.includes(Buffer.from('audit_log'))).toBe(false);

    const empty = tempDir();
    const restored = await runHearth(['restore', file], { env: { HEARTH_DATA_DIR: empty, HEARTH_MASTER_KEY: KEY } });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(existsSync(join(empty, 'master.key'))).toBe(false);
    const b = await startTestHearth({ dataDir: empty, env: { HEARTH_MASTER_KEY: KEY } });
    open.push(b);
    for (const [name, secret] of secrets) expect(await b.hearth.webhooks.secretOf(name)).toBe(secret);
    expect(await b.hearth.audit.verify()).toMatchObject({ ok: true });
  });

  it('DATA-6 a tampered backup, or one under another key, is refused with nothing changed', async () => {
    const dataDir = tempDir();
    const t = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY } });
    await t.hearth.webhooks.createSecret('erasure');
    const file = join(tempDir(), 'b.bak');
    await createBackup({ storage: t.hearth.storage, vault: t.hearth.vault, dataDir, file });
    await t.hearth.webhooks.createSecret('invalidate');
    const vault = t.hearth.vault;
    await t.close();
    const db = join(dataDir, 'hearth.db');
    const before = sha(db);

    const good = readFileSync(file);
    for (const offset of [good.length - 5, Math.floor(good.length / 2), 30, 3]) {
      const bad = Buffer.from(good);
      bad[offset] = bad[offset]! ^ 0x40;
      writeFileSync(file, bad);
      await expect(restoreBackup({ vault, dataDir, file, replace: true })).rejects.toMatchObject({
        code: expect.stringMatching(/^BACKUP_(TAMPERED|MALFORMED)$/),
      });
      expect(sha(db)).toBe(before);
    }
    writeFileSync(file, good.subarray(0, good.length - 100));
    await expect(restoreBackup({ vault, dataDir, file, replace: true })).rejects.toMatchObject({ code: 'BACKUP_TAMPERED' });
    writeFileSync(file, good);
    const stranger = createVault({ masterKey: randomBytes(32) });
    await expect(restoreBackup({ vault: stranger, dataDir, file, replace: true })).rejects.toMatchObject({
      code: 'BACKUP_WRONG_KEY',
      message: expect.stringContaining(vault.keyId),
    });
    expect(sha(db)).toBe(before);
    expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);

    const refused = await runHearth(['restore', file], { env: { HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY } });
    expect(refused.code).toBe(2);
    await restoreBackup({ vault, dataDir, file, replace: true });
    const after = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY } });
    open.push(after);
    expect(await after.hearth.webhooks.secretOf('erasure')).toMatch(/^whsec_/);
    expect(await after.hearth.webhooks.secretOf('invalidate')).toBeUndefined();
  });

  it('DATA-1 LOG-3 keys rotate under live data, audit verify names a tampered entry', async () => {
    const dataDir = tempDir();
    const env = { HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY };
    const added = await runHearth(['webhooks', 'add', 'erasure'], { env });
    expect(added.code).toBe(0);
    const secret = added.stdout.trim();
    expect(secret).toMatch(/^whsec_/);
    expect((await runHearth(['keys', 'rotate'], { env })).code).toBe(2);
    const next = randomBytes(32).toString('hex');
    const rotated = await runHearth(['keys', 'rotate'], { env: { ...env, HEARTH_MASTER_KEY: next, HEARTH_MASTER_KEY_PREVIOUS: KEY } });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toContain('webhook_secrets.secret\t1 re-encrypted');
    const t = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: next } });
    open.push(t);
    expect(await t.hearth.webhooks.secretOf('erasure')).toBe(secret);
    expect(await t.hearth.audit.verify()).toMatchObject({ ok: true });
    await t.hearth.storage.db
      .withTables<{ audit_log: { seq: number; outcome: string } }>()
      .updateTable('audit_log')
      .set({ outcome: 'failure' })
      .where('seq', '=', 1)
      .execute();
    const verified = await runHearth(['audit', 'verify'], { env: { ...env, HEARTH_MASTER_KEY: next } });
    expect(verified.code).toBe(1);
    expect(verified.stdout).toContain('at entry 1');
  });
});
