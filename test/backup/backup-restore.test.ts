import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { writeArchive } from '../../src/backup/archive.js';
import { claimDataDirForRestore, restoreBackup } from '../../src/backup/index.js';
import { createVault } from '../../src/security/vault/index.js';
import { runHearth, startHearthProcess } from '../support/cli.js';
import { PG_URL, tempDir } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const KEY = randomBytes(32).toString('hex');
const SYSTEM = { type: 'system' } as const;
const BY_ADMIN = { actor: SYSTEM, source: 'admin' } as const;
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** A database of its own in the real PostgreSQL (the CLI uses the `public` schema of its URL). */
async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `hearth_bk_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** Everything a person keeps: a memory, a note about them, a shared note, a file of the data directory, a sealed secret. */
async function seed(t: TestHearth) {
  const notes = t.hearth.memory.notes;
  await t.hearth.memory.repo.add({ userId: 'u-ann', familiarId: 'f-1', text: 'Ann keeps bees on the allotment', provenance: 'person' });
  await notes.write({ familiarId: 'f-1', userId: 'u-ann' }, 'bees.md', '# Bees\nthree hives', BY_ADMIN);
  await notes.write({ familiarId: 'f-1', userId: null }, 'topics/garden.md', 'shared garden notes', BY_ADMIN);
  mkdirSync(join(t.dataDir, 'extra'), { recursive: true });
  writeFileSync(join(t.dataDir, 'extra', 'state.json'), '{"kept":true}');
  symlinkSync('/etc/passwd', join(t.dataDir, 'extra', 'link'));
  return t.hearth.webhooks.createSecret('erasure');
}

async function expectSeeded(t: TestHearth, secret: string) {
  const notes = t.hearth.memory.notes;
  expect(await notes.read({ familiarId: 'f-1', userId: 'u-ann' }, 'bees.md')).toBe('# Bees\nthree hives');
  expect(await notes.read({ familiarId: 'f-1', userId: null }, 'topics/garden.md')).toBe('shared garden notes');
  expect(readFileSync(join(t.dataDir, 'extra', 'state.json'), 'utf8')).toBe('{"kept":true}');
  expect(existsSync(join(t.dataDir, 'extra', 'link'))).toBe(false);
  const found = await t.hearth.memory.repo.search({ userId: 'u-ann', q: 'bees allotment', kinds: ['memory'] });
  expect(found.map((m) => m.text)).toEqual(['Ann keeps bees on the allotment']);
  expect(await t.hearth.webhooks.secretOf('erasure')).toBe(secret);
  // Serial ids continue after the restored rows.
  await t.hearth.memory.repo.add({ userId: 'u-ann', familiarId: 'f-1', text: 'a memory written after the restore', provenance: 'person' });
  expect(await t.hearth.memory.repo.list({ userId: 'u-ann' })).toHaveLength(2);
  expect(await t.hearth.audit.verify()).toMatchObject({ ok: true });
  const restores = await t.hearth.audit.list({ action: 'backup.restore' });
  expect(restores).toHaveLength(1);
  expect(restores[0]).toMatchObject({ outcome: 'success' });
}

describe(
  '#15 backup: the snapshot holds the database, notes and data files; restore is staged, checked and audited (DATA-6)',
  { timeout: 300_000 },
  () => {
    const cleanups: Array<() => Promise<void>> = [];
    afterAll(async () => {
      for (const c of cleanups.reverse()) await c().catch(() => undefined);
    });

    it('#15 backup: SQLite round trip through the CLI, notes and data-directory files included, links left out', async () => {
      const a = await startTestHearth({ env: { HEARTH_MASTER_KEY: KEY } });
      cleanups.push(() => a.close());
      const secret = await seed(a);
      const file = join(tempDir(), 'hearth.bak');
      // The server keeps running while `hearth backup` snapshots its data directory.
      const made = await runHearth(['backup', file], { env: { HEARTH_DATA_DIR: a.dataDir, HEARTH_MASTER_KEY: KEY } });
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(/3 files/);
      expect(made.stderr).toContain('extra/link');
      const bytes = readFileSync(file);
      for (const plain of ['three hives', 'garden', 'SQLite format', 'kept']) expect(bytes.includes(Buffer.from(plain))).toBe(false);

      const empty = tempDir();
      const restored = await runHearth(['restore', file], { env: { HEARTH_DATA_DIR: empty, HEARTH_MASTER_KEY: KEY } });
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      expect(readdirSync(empty).filter((n) => n.startsWith('.restore-'))).toEqual([]);
      expect(existsSync(join(empty, 'master.key'))).toBe(false);
      const b = await startTestHearth({ dataDir: empty, env: { HEARTH_MASTER_KEY: KEY } });
      cleanups.push(() => b.close());
      await expectSeeded(b, secret);
    });

    it('#15 backup: PostgreSQL round trip through the CLI into another database, a consistent export encrypted the same way', async () => {
      const source = await createDatabase();
      const target = await createDatabase();
      cleanups.push(source.drop, target.drop);
      const a = await startTestHearth({ env: { HEARTH_MASTER_KEY: KEY, HEARTH_DATABASE_URL: source.url } });
      const secret = await seed(a);
      const file = join(tempDir(), 'hearth-pg.bak');
      const made = await runHearth(['backup', file], {
        env: { HEARTH_DATA_DIR: a.dataDir, HEARTH_MASTER_KEY: KEY, HEARTH_DATABASE_URL: source.url },
      });
      expect(made.stderr).toContain('extra/link');
      expect(made.code).toBe(0);
      expect(made.stdout).toMatch(/3 files, \d+ rows/);
      const bytes = readFileSync(file);
      for (const plain of ['three hives', 'allotment', 'memory_items', 'whsec_']) expect(bytes.includes(Buffer.from(plain))).toBe(false);
      await a.close();

      const empty = tempDir();
      const env = { HEARTH_DATA_DIR: empty, HEARTH_MASTER_KEY: KEY, HEARTH_DATABASE_URL: target.url };
      const restored = await runHearth(['restore', file], { env });
      expect(restored.stderr).toBe('');
      expect(restored.code).toBe(0);
      // A second restore over the data now there needs --force, and gives the same state.
      expect((await runHearth(['restore', file], { env })).code).toBe(2);
      expect((await runHearth(['restore', file, '--force'], { env })).code).toBe(0);
      // A client of its own, ended at once: one left idle would die unhandled when the database is dropped.
      const check = new pg.Client({ connectionString: target.url });
      await check.connect();
      const schemas = await check
        .query<{ n: number }>("select count(*)::int as n from pg_namespace where nspname like 'hearth_restore_%'")
        .finally(() => check.end());
      expect(schemas.rows[0]!.n).toBe(0);
      const b = await startTestHearth({ dataDir: empty, env: { HEARTH_MASTER_KEY: KEY, HEARTH_DATABASE_URL: target.url } });
      cleanups.push(() => b.close());
      const notes = b.hearth.memory.notes;
      expect(await notes.read({ familiarId: 'f-1', userId: 'u-ann' }, 'bees.md')).toBe('# Bees\nthree hives');
      await expectSeeded(b, secret);
    });

    it('#15 backup: a tampered archive is refused, SQLite and PostgreSQL, with nothing changed', async () => {
      const dataDir = tempDir();
      const t = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY } });
      await seed(t);
      const file = join(tempDir(), 'b.bak');
      expect((await runHearth(['backup', file], { env: { HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY } })).code).toBe(0);
      await t.hearth.memory.notes.write({ familiarId: 'f-1', userId: 'u-ann' }, 'later.md', 'written after the backup', BY_ADMIN);
      await t.close();
      const db = join(dataDir, 'hearth.db');
      const note = join(dataDir, 'notes', 'f-1', 'people', 'u-ann', 'later.md');
      const before = [sha(db), sha(note)];
      const good = readFileSync(file);
      const env = { HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY };
      const vault = createVault({ masterKey: Buffer.from(KEY, 'hex') });
      const variants = [
        flip(good, good.length - 5),
        flip(good, Math.floor(good.length / 2)),
        flip(good, 40),
        good.subarray(0, good.length - 64),
      ];
      for (const [i, bad] of variants.entries()) {
        writeFileSync(file, bad);
        // The last one through the real command; the others through the same function, in process.
        if (i === variants.length - 1) {
          const res = await runHearth(['restore', file, '--force'], { env });
          expect(res.code).toBe(1);
          expect(res.stderr).toContain('BACKUP_TAMPERED');
        } else
          await expect(restoreBackup({ vault, dataDir, file, replace: true })).rejects.toMatchObject({
            code: expect.stringMatching(/^BACKUP_(TAMPERED|MALFORMED)$/),
          });
        expect([sha(db), sha(note)]).toEqual(before);
        expect(readdirSync(dataDir).filter((n) => n.startsWith('.restore-'))).toEqual([]);
        expect(readdirSync(join(dataDir, 'tmp'))).toEqual([]);
      }
      // The good archive restores; the note written after it is gone with the rest of that state.
      writeFileSync(file, good);
      expect((await runHearth(['restore', file, '--force'], { env })).code).toBe(0);
      expect(existsSync(note)).toBe(false);
      expect(existsSync(join(dataDir, 'notes', 'f-1', 'people', 'u-ann', 'bees.md'))).toBe(true);

      // PostgreSQL: the live rows stay as they were.
      const database = await createDatabase();
      cleanups.push(database.drop);
      const pgDir = tempDir();
      const pgEnv = { HEARTH_DATA_DIR: pgDir, HEARTH_MASTER_KEY: KEY, HEARTH_DATABASE_URL: database.url };
      const p = await startTestHearth({ dataDir: pgDir, env: pgEnv });
      await seed(p);
      const pgFile = join(tempDir(), 'pg.bak');
      expect((await runHearth(['backup', pgFile], { env: pgEnv })).code).toBe(0);
      await p.hearth.memory.repo.add({ userId: 'u-ann', familiarId: 'f-1', text: 'written after the backup', provenance: 'person' });
      await p.close();
      const pgGood = readFileSync(pgFile);
      writeFileSync(pgFile, flip(pgGood, Math.floor(pgGood.length / 2)));
      const res = await runHearth(['restore', pgFile, '--force'], { env: pgEnv });
      expect(res.code).toBe(1);
      expect(res.stderr).toContain('BACKUP_TAMPERED');
      const pool = new pg.Pool({ connectionString: database.url });
      const rows = await pool.query<{ n: number }>("select count(*)::int as n from memory_items where kind = 'memory'");
      const staging = await pool.query<{ n: number }>("select count(*)::int as n from pg_namespace where nspname like 'hearth_restore_%'");
      await pool.end();
      expect(rows.rows[0]!.n).toBe(2);
      expect(staging.rows[0]!.n).toBe(0);
    });

    it('#15 backup: restore while a real `hearth start` runs is refused, and the server loses nothing', async () => {
      const dataDir = tempDir();
      const env = { HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY };
      const server = await startHearthProcess({ env, cwd: dataDir });
      cleanups.push(async () => void server.child.kill('SIGKILL'));
      expect((await runHearth(['webhooks', 'add', 'erasure'], { env })).code).toBe(0);
      const file = join(tempDir(), 'live.bak');
      expect((await runHearth(['backup', file], { env })).code).toBe(0);
      const refused = await runHearth(['restore', file, '--force'], { env });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('BACKUP_TARGET_IN_USE');
      expect(refused.stderr).toContain(`pid ${server.child.pid}`);
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
      // Written after the refused restore: still there once the server has stopped.
      expect((await runHearth(['webhooks', 'add', 'invalidate'], { env })).code).toBe(0);
      const exited = new Promise((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      await exited;
      const t = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY } });
      cleanups.push(() => t.close());
      expect((await t.hearth.webhooks.list()).map((w) => w.name)).toEqual(['erasure', 'invalidate']);
    });

    it('#15 backup: an archive naming a path outside the data directory, or the master key, is refused with nothing written', async () => {
      const vault = createVault({ masterKey: Buffer.from(KEY, 'hex') });
      for (const path of ['../escape.txt', 'notes/../../escape.txt', 'master.key', 'run/restore.lock', 'hearth.db', '/tmp/abs.txt']) {
        const parent = tempDir();
        const dataDir = join(parent, 'data');
        mkdirSync(dataDir);
        const file = join(parent, 'crafted.bak');
        await writeArchive({
          vault,
          dialect: 'sqlite',
          file,
          now: Date.now,
          fill: async (sink) => {
            const data = Buffer.from('planted');
            await sink.add({ t: 'file', path, size: data.length }, data);
            await sink.add({ t: 'end', files: 1, rows: 0 });
          },
        });
        await expect(restoreBackup({ vault, dataDir, file })).rejects.toMatchObject({ code: 'BACKUP_MALFORMED' });
        expect(existsSync(join(parent, 'escape.txt'))).toBe(false);
        expect(existsSync(join(dataDir, 'master.key'))).toBe(false);
        expect(readdirSync(dataDir).sort()).toEqual(['run', 'tmp']);
      }
    });

    it('#15 backup: a Hearth cannot start while a restore holds the data directory; a dead holder does not block', async () => {
      const dataDir = tempDir();
      const claim = claimDataDirForRestore(dataDir);
      await expect(startTestHearth({ dataDir })).rejects.toMatchObject({ code: 'BACKUP_TARGET_IN_USE' });
      claim.release();
      // A registration left by a killed process (its pid is gone) is recognised as stale.
      mkdirSync(join(dataDir, 'run'), { recursive: true });
      writeFileSync(
        join(dataDir, 'run', '999999999-dead.pid'),
        JSON.stringify({ pid: 999_999_999, host: (await import('node:os')).hostname(), startedAt: 1 }),
      );
      claimDataDirForRestore(dataDir).release();
      const t = await startTestHearth({ dataDir });
      expect(() => claimDataDirForRestore(dataDir)).toThrow(expect.objectContaining({ code: 'BACKUP_TARGET_IN_USE' }));
      await t.close();
      claimDataDirForRestore(dataDir).release();
    });
  },
);

function flip(buf: Buffer, offset: number): Buffer {
  const out = Buffer.from(buf);
  out[offset] = out[offset]! ^ 0x40;
  return out;
}
