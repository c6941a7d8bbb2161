import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { migrationsOf } from '../../src/app/index.js';
import { createSettingsRepository, migrateToLatest, migrationStatus, openStorage } from '../../src/storage/index.js';
import { DATABASE_KINDS, dropSchema, openTestStorage, PG_URL, tempDir, uniqueSchema, type TestStorage } from '../support/databases.js';

const migrations = migrationsOf();

for (const kind of DATABASE_KINDS) {
  describe(`settings repository on ${kind}`, () => {
    let t: TestStorage | undefined;
    afterEach(async () => {
      await t?.cleanup();
      t = undefined;
    });

    it('sets, reads, overwrites, lists by prefix and deletes', async () => {
      t = await openTestStorage(kind);
      let clock = 1_000;
      const repo = createSettingsRepository(t.storage.db, () => clock++);
      expect(await repo.get('a')).toBeUndefined();
      await repo.set('a.one', '1');
      await repo.set('a.two', '2');
      await repo.set('b%_x', '3');
      await repo.set('a.one', 'uno');
      expect(await repo.get('a.one')).toBe('uno');
      expect(await repo.list('a.')).toEqual([
        { key: 'a.one', value: 'uno' },
        { key: 'a.two', value: '2' },
      ]);
      expect(await repo.list('b%')).toEqual([{ key: 'b%_x', value: '3' }]);
      expect(await repo.delete('a.one')).toBe(true);
      expect(await repo.delete('a.one')).toBe(false);
      expect(await repo.get('a.one')).toBeUndefined();
    });

    it('applies migrations once and reports them applied', async () => {
      t = await openTestStorage(kind);
      await migrateToLatest(t.storage, migrations);
      const status = await migrationStatus(t.storage, migrations);
      expect(status.length).toBe(migrations.length);
      expect(status.every((s) => s.appliedAt !== undefined)).toBe(true);
    });
  });
}

describe('SQLite files (DATA-3)', () => {
  it('creates the data directory 0700 and the database 0600', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const storage = await openStorage({ dataDir });
    await migrateToLatest(storage, migrations);
    await createSettingsRepository(storage.db).set('x', 'y');
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, 'hearth.db')).mode & 0o777).toBe(0o600);
    expect(storage.sqlite?.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(storage.sqlite?.pragma('foreign_keys', { simple: true })).toBe(1);
    await storage.close();
  });
});

/** Starts the writer child, lets it acknowledge `count` writes, then SIGKILLs it. */
async function killMidBurst(args: string[], count: number): Promise<number[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/crash-writer.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const acked: number[] = [];
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', () => resolve());
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const m = /^ack (\d+)$/.exec(line);
        if (m) acked.push(Number(m[1]));
        if (acked.length === count) child.kill('SIGKILL');
      }
    });
  });
  expect(child.signalCode).toBe('SIGKILL');
  return acked;
}

describe('crash safety: SIGKILL during a burst of writes', () => {
  it('SQLite reopens cleanly with every acknowledged write', async () => {
    const dataDir = tempDir();
    const acked = await killMidBurst([dataDir, '-', '-'], 300);
    const storage = await openStorage({ dataDir });
    expect(storage.sqlite?.pragma('integrity_check', { simple: true })).toBe('ok');
    const repo = createSettingsRepository(storage.db);
    const keys = new Set((await repo.list('crash.')).map((r) => r.key));
    for (const i of acked) expect(keys.has(`crash.${i}`)).toBe(true);
    await storage.close();
  });

  it('PostgreSQL keeps every acknowledged write', async () => {
    const schema = uniqueSchema();
    const dataDir = tempDir();
    try {
      const acked = await killMidBurst([dataDir, PG_URL, schema], 300);
      const storage = await openStorage({ dataDir, databaseUrl: PG_URL, pgSchema: schema });
      const keys = new Set((await createSettingsRepository(storage.db).list('crash.')).map((r) => r.key));
      for (const i of acked) expect(keys.has(`crash.${i}`)).toBe(true);
      await storage.close();
    } finally {
      await dropSchema(schema);
    }
  });
});
