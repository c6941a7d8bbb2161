// The store the memory benchmarks run on: SQLite by default (with --encrypted, the whole file
// encrypted), or PostgreSQL with --postgres (HEARTH_DATABASE_URL, else the local test database;
// a schema of its own, dropped afterwards), with --encrypted there memory text sealed column by
// column and searched through the blind index (DATA-2).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { migrationsOf } from '../src/app/index.js';
import { createMemoryCipher, type MemoryEncryption } from '../src/memory/encryption.js';
import { databaseKey, migrateToLatest, openStorage, type Storage } from '../src/storage/index.js';

export interface BenchStore {
  readonly storage: Storage;
  readonly label: string;
  /** For createMemoryRepository: column encryption on PostgreSQL with --encrypted. */
  readonly encryption: MemoryEncryption | undefined;
  close(): Promise<void>;
}

export async function openBenchStore(argv: readonly string[], prefix: string): Promise<BenchStore> {
  const encrypted = argv.includes('--encrypted');
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (!argv.includes('--postgres')) {
    const storage = await openStorage({ dataDir: dir, ...(encrypted ? { encryptionKey: databaseKey(randomBytes(32)) } : {}) });
    await migrateToLatest(storage, migrationsOf());
    return {
      storage,
      label: `SQLite${encrypted ? ', encrypted' : ''}`,
      encryption: undefined,
      async close() {
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const url = process.env.HEARTH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_${randomBytes(6).toString('hex')}`;
  const storage = await openStorage({ dataDir: dir, databaseUrl: url, pgSchema: schema });
  await migrateToLatest(storage, migrationsOf());
  const cipher = createMemoryCipher(randomBytes(32));
  return {
    storage,
    label: `PostgreSQL${encrypted ? ', memory text encrypted (blind index)' : ''}`,
    encryption: encrypted ? { cipher: async () => cipher } : undefined,
    async close() {
      await storage.pool!.query(`DROP SCHEMA ${schema} CASCADE`);
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
