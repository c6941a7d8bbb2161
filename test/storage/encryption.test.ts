import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { databaseKey, openStorage } from '../../src/storage/index.js';
import { HEARTH_BIN, runHearth } from '../support/cli.js';
import { tempDir } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const KEY_A = randomBytes(32).toString('hex');
const KEY_B = randomBytes(32).toString('hex');
const MARKER = 'zanzibarquokka';

/** Every file under the data directory that holds the marker in clear (UTF-8 or UTF-16). */
function filesWithMarker(dir: string): string[] {
  const hits: string[] = [];
  const needles = [Buffer.from(MARKER, 'utf8'), Buffer.from(MARKER, 'utf16le')];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (needles.some((n) => readFileSync(path).includes(n))) hits.push(path);
    }
  };
  walk(dir);
  return hits;
}

async function writeSecrets(t: TestHearth): Promise<void> {
  const repo = t.hearth.memory.repo;
  await repo.add({ userId: 'u1', familiarId: 'f1', text: `my cat is called ${MARKER}`, provenance: 'person' });
  await repo.addTurn({
    userId: 'u1',
    familiarId: 'f1',
    conversationId: 'c1',
    messageId: '0001',
    role: 'user',
    text: `tell ${MARKER} hello`,
  });
  await repo.flush();
}

const open: TestHearth[] = [];
afterEach(async () => {
  for (const t of open.splice(0)) await t.close().catch(() => undefined);
});

describe('#21 whole-database encryption (DATA-2)', () => {
  it('#21 encryption: no plaintext memory, turn or index text anywhere in the data directory, running or stopped', async () => {
    const dataDir = tempDir();
    const t = await startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    open.push(t);
    await writeSecrets(t);
    // Found through the index while running: the feature works, the text is only encrypted at rest.
    expect((await t.hearth.memory.repo.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
    expect(filesWithMarker(dataDir)).toEqual([]);
    await t.hearth.storage.checkpointer?.checkpoint();
    expect(filesWithMarker(dataDir)).toEqual([]);
    await t.close();
    open.pop();
    expect(filesWithMarker(dataDir)).toEqual([]);
    // The same database without encryption holds the marker in clear: the scan can see it.
    const plainDir = tempDir();
    const plain = await startTestHearth({ dataDir: plainDir });
    await writeSecrets(plain);
    await plain.hearth.storage.checkpointer?.checkpoint();
    expect(filesWithMarker(plainDir).length).toBeGreaterThan(0);
    await plain.close();
  });

  it('#21 encryption: a wrong key, a plain file when encryption is on and an encrypted one when off each refuse with a clear error', async () => {
    const dataDir = tempDir();
    const t = await startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    await writeSecrets(t);
    await t.close();
    await expect(startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_B } })).rejects.toMatchObject({
      code: 'DATABASE_KEY_WRONG',
      message: expect.not.stringContaining(KEY_B),
    });
    await expect(startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY_A } })).rejects.toMatchObject({ code: 'DATABASE_ENCRYPTED' });
    const plainDir = tempDir();
    (await openStorage({ dataDir: plainDir })).close();
    await expect(openStorage({ dataDir: plainDir, encryptionKey: databaseKey(Buffer.from(KEY_A, 'hex')) })).rejects.toMatchObject({
      code: 'DATABASE_NOT_ENCRYPTED',
    });
    // Nothing was lost by the refusals.
    const again = await startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    open.push(again);
    expect((await again.hearth.memory.repo.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
  });

  it('#21 encryption: a master-key rotation re-keys the database; afterwards only the new key opens it', async () => {
    const dataDir = tempDir();
    const t = await startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    await writeSecrets(t);
    await t.close();
    const rotated = await runHearth(['keys', 'rotate'], {
      env: { HEARTH_DATA_DIR: dataDir, HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_B, HEARTH_MASTER_KEY_PREVIOUS: KEY_A },
    });
    expect(rotated.code, rotated.stderr).toBe(0);
    await expect(startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } })).rejects.toMatchObject({
      code: 'DATABASE_KEY_WRONG',
    });
    const after = await startTestHearth({ dataDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_B } });
    open.push(after);
    expect((await after.hearth.memory.repo.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
  });

  it('#21 encryption: `hearth db encrypt` converts a plain database in place; nothing is lost and no plaintext stays', async () => {
    const dataDir = tempDir();
    const t = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY_A } });
    await writeSecrets(t);
    await t.close();
    const env = { HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY_A };
    const converted = await runHearth(['db', 'encrypt'], { env });
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stdout).toMatch(/verified/);
    expect(filesWithMarker(dataDir)).toEqual([]);
    const again = await runHearth(['db', 'encrypt'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already encrypted/);
    const after = await startTestHearth({ dataDir, env: { ...env, HEARTH_DATABASE_ENCRYPTION: 'on' } });
    open.push(after);
    expect((await after.hearth.memory.repo.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
    const entries = await after.hearth.audit.list({ action: 'storage.encrypted' });
    expect(entries.length).toBe(1);
  });

  it('#21 encryption: a backup of an encrypted database restores encrypted, and a plain backup is encrypted on restore', async () => {
    const env = (dataDir: string, extra: Record<string, string> = {}) => ({ HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY_A, ...extra });
    const encryptedDir = tempDir();
    const t = await startTestHearth({ dataDir: encryptedDir, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    await writeSecrets(t);
    await t.close();
    const archive = join(tempDir(), 'encrypted.hbk');
    const made = await runHearth(['backup', archive], { env: env(encryptedDir, { HEARTH_DATABASE_ENCRYPTION: 'on' }) });
    expect(made.code, made.stderr).toBe(0);
    // Restored without encryption configured: refused with the reason, nothing written.
    const plainTarget = tempDir();
    const refused = await runHearth(['restore', archive], { env: env(plainTarget) });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/HEARTH_DATABASE_ENCRYPTION=on/);
    const target = tempDir();
    const restored = await runHearth(['restore', archive], { env: env(target, { HEARTH_DATABASE_ENCRYPTION: 'on' }) });
    expect(restored.code, restored.stderr).toBe(0);
    expect(filesWithMarker(target)).toEqual([]);
    const back = await startTestHearth({ dataDir: target, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    open.push(back);
    expect((await back.hearth.memory.repo.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
    await back.close();
    open.pop();
    // A plain database's backup, restored where encryption is on, arrives encrypted.
    const plainDir = tempDir();
    const p = await startTestHearth({ dataDir: plainDir, env: { HEARTH_MASTER_KEY: KEY_A } });
    await writeSecrets(p);
    await p.close();
    const plainArchive = join(tempDir(), 'plain.hbk');
    expect((await runHearth(['backup', plainArchive], { env: env(plainDir) })).code).toBe(0);
    const target2 = tempDir();
    const restored2 = await runHearth(['restore', plainArchive], { env: env(target2, { HEARTH_DATABASE_ENCRYPTION: 'on' }) });
    expect(restored2.code, restored2.stderr).toBe(0);
    expect(filesWithMarker(target2)).toEqual([]);
    const back2 = await startTestHearth({ dataDir: target2, env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A } });
    open.push(back2);
    expect((await back2.hearth.memory.repo.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
  });

  it('#21 encryption: conversion killed (SIGKILL) at any point leaves a database that opens, whole, then completes', async () => {
    const dataDir = tempDir();
    const t = await startTestHearth({ dataDir, env: { HEARTH_MASTER_KEY: KEY_A } });
    await t.close();
    // Enough rows that the conversion takes a while, written directly for speed.
    const raw = new BetterSqlite3(join(dataDir, 'hearth.db'));
    raw.exec('create table ballast (id integer primary key, body text)');
    const insert = raw.prepare('insert into ballast (body) values (?)');
    raw.transaction(() => {
      for (let i = 0; i < 60_000; i++) insert.run(`${MARKER} ${i} ${'x'.repeat(400)}`);
    })();
    raw.close();
    const rows = 60_000;
    const key = databaseKey(Buffer.from(KEY_A, 'hex'));
    const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HEARTH_DATA_DIR: dataDir, HEARTH_MASTER_KEY: KEY_A };
    const file = join(dataDir, 'hearth.db');
    const copy = `${file}.encrypting`;
    // Each run is killed at the moment a phase shows on disk: while the copy is written
    // (VACUUM INTO), while it is encrypted (its rollback journal), and after (verification, rename).
    const phases: Array<() => boolean> = [
      () => existsSync(copy),
      () => existsSync(`${copy}-journal`),
      () => existsSync(copy) && !existsSync(`${copy}-journal`) && statSync(copy).size > 0 && sawJournal,
    ];
    let sawJournal = false;
    let encrypted = false;
    for (const phase of phases) {
      const child = spawn(process.execPath, [HEARTH_BIN, 'db', 'encrypt'], { env, stdio: 'ignore' });
      let exited = false;
      const exit = new Promise((resolve) => child.on('exit', resolve)).then(() => (exited = true));
      while (!exited && !phase()) {
        if (existsSync(`${copy}-journal`)) sawJournal = true;
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
      child.kill('SIGKILL');
      await exit;
      // Whatever the moment, the database opens (plain, or encrypted under the key) with every row.
      const storage = await openStorage({ dataDir, backgroundCheckpoints: false }).catch(() => undefined);
      if (storage) {
        expect(storage.sqlite!.prepare('select count(*) from ballast').pluck().get()).toBe(rows);
        await storage.close();
      } else {
        const keyed = await openStorage({ dataDir, encryptionKey: key, backgroundCheckpoints: false });
        expect(keyed.sqlite!.prepare('select count(*) from ballast').pluck().get()).toBe(rows);
        await keyed.close();
        encrypted = true;
        break;
      }
    }
    if (!encrypted) {
      const done = await runHearth(['db', 'encrypt'], { env });
      expect(done.code, done.stderr).toBe(0);
    }
    const final = await openStorage({ dataDir, encryptionKey: key, backgroundCheckpoints: false });
    expect(final.sqlite!.prepare('select count(*) from ballast').pluck().get()).toBe(rows);
    await final.close();
    expect(readdirSync(dataDir).filter((f) => f.includes('encrypting'))).toEqual([]);
    expect(filesWithMarker(dataDir)).toEqual([]);
  });
});
