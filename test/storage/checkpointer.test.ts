import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openStorage, type Storage } from '../../src/storage/index.js';
import { startCheckpointer } from '../../src/storage/checkpointer.js';
import { tempDir } from '../support/databases.js';

const PAGE = 4096;

/** Writes about `pages` pages of new data in small commits, as turns do. */
async function writePages(storage: Storage, pages: number): Promise<void> {
  await sql`create table if not exists blobs (id integer primary key, data blob not null)`.execute(storage.db);
  for (let i = 0; i < pages; i += 50) {
    await storage.db.transaction().execute(async (tx) => {
      for (let j = 0; j < 50; j++) await sql`insert into blobs (data) values (randomblob(${PAGE - 200}))`.execute(tx);
    });
  }
}

const dbSize = (dataDir: string) => statSync(join(dataDir, 'hearth.db')).size;

describe('SQLite WAL checkpoints on a worker thread', () => {
  it('commits never checkpoint on the event loop; the worker moves the WAL into the database', async () => {
    const dataDir = tempDir();
    // The worker waits an hour between looks, so only an explicit checkpoint runs it here.
    const storage = await openStorage({ dataDir, checkpointIntervalMs: 3_600_000 });
    try {
      await writePages(storage, 2_000);
      // 2,000 pages (8 MB) committed, past SQLite's inline threshold of 1,000: still all in the WAL.
      expect(dbSize(dataDir)).toBeLessThan(1_000 * PAGE);
      const result = await storage.checkpointer!.checkpoint();
      expect(result.busy).toBe(0);
      expect(result.log).toBeGreaterThanOrEqual(2_000);
      expect(result.checkpointed).toBe(result.log);
      expect(dbSize(dataDir)).toBeGreaterThan(2_000 * PAGE);
    } finally {
      await storage.close();
    }
  });

  it('control: without the worker, the same commits checkpoint inline', async () => {
    const dataDir = tempDir();
    const storage = await openStorage({ dataDir, backgroundCheckpoints: false });
    try {
      expect(storage.checkpointer).toBeUndefined();
      await writePages(storage, 2_000);
      expect(dbSize(dataDir)).toBeGreaterThan(1_000 * PAGE);
    } finally {
      await storage.close();
    }
  });

  it('checkpoints by itself soon after writes, and close leaves every row in the database file', async () => {
    const dataDir = tempDir();
    const storage = await openStorage({ dataDir, checkpointIntervalMs: 20 });
    await writePages(storage, 1_200);
    const deadline = Date.now() + 30_000;
    while (dbSize(dataDir) < 1_200 * PAGE && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(dbSize(dataDir)).toBeGreaterThan(1_200 * PAGE);
    await storage.close();
    expect(existsSync(join(dataDir, 'hearth.db-wal'))).toBe(false);
    const again = await openStorage({ dataDir, backgroundCheckpoints: false });
    try {
      const { rows } = await sql<{ n: number }>`select count(*) as n from blobs`.execute(again.db);
      expect(rows[0]!.n).toBe(1_200);
      expect(again.sqlite!.pragma('integrity_check', { simple: true })).toBe('ok');
    } finally {
      await again.close();
    }
  });

  it('reports a worker that cannot run, so the connection can checkpoint inline again', async () => {
    const failures: unknown[] = [];
    const checkpointer = startCheckpointer({ file: join(tempDir(), 'missing.db'), onFailure: (err) => failures.push(err) });
    await expect(checkpointer.checkpoint()).rejects.toThrow();
    expect(failures).toHaveLength(1);
    await checkpointer.close();
  });
});
