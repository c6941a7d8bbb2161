import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddingWorker, createMemoryRepository, type Embedder } from '../../src/memory/index.js';
import { createLogger } from '../../src/logging/index.js';
import { memoryEncryption, MemoryCryptoError } from '../../src/memory/encryption.js';
import { encryptStoredMemories } from '../../src/memory/encryption-convert.js';
import { createVault, DATA_KEYS_COLUMN, rotateKeys } from '../../src/security/vault/index.js';
import { migrateToLatest, openStorage, type Storage } from '../../src/storage/index.js';
import { migrationsOf } from '../../src/app/index.js';
import { openTestStorage, PG_URL, tempDir, type TestStorage } from '../support/databases.js';
import { runHearth } from '../support/cli.js';
import { startChatWorld, newConversation, type ChatWorld } from '../companions/helpers.js';

const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);
const MARKER = 'zanzibarquokka';

/**
 * Every place in the PostgreSQL schema (and its job schema) where the marker appears: each row of
 * each table as JSON (bytea shows as hex, so the marker's hex is looked for too).
 */
async function placesWithMarker(storage: Storage, schema: string, marker = MARKER): Promise<string[]> {
  const client = await storage.pool!.connect();
  try {
    const tables = await client.query<{ table_schema: string; table_name: string }>(
      `select table_schema, table_name from information_schema.tables where table_schema in ($1, $2) and table_type = 'BASE TABLE'`,
      [schema, `${schema}_jobs`],
    );
    const needles = [marker.toLowerCase(), Buffer.from(marker).toString('hex'), Buffer.from(marker.toLowerCase()).toString('hex')];
    // The stem as PostgreSQL's tsvector would keep it.
    needles.push(marker.toLowerCase().slice(0, -1));
    const hits: string[] = [];
    for (const t of tables.rows) {
      const rows = await client.query<{ j: string }>(`select row_to_json(x)::text as j from "${t.table_schema}"."${t.table_name}" x`);
      for (const r of rows.rows) if (needles.some((n) => r.j.toLowerCase().includes(n))) hits.push(`${t.table_name}: ${r.j.slice(0, 120)}`);
    }
    expect(tables.rows.length).toBeGreaterThan(10);
    return hits;
  } finally {
    client.release();
  }
}

const vaultOf = (masterKey: Buffer, previousMasterKey?: Buffer) => {
  const vault = createVault({ masterKey, previousMasterKey });
  vault.registerSealedColumn(DATA_KEYS_COLUMN);
  return vault;
};
const encryptedRepo = (storage: Storage, masterKey: Buffer) =>
  createMemoryRepository({ storage, encryption: memoryEncryption({ storage, vault: vaultOf(masterKey) }) });

async function writeMarkers(repo: ReturnType<typeof encryptedRepo>, user = 'u1') {
  const m = await repo.add({ userId: user, familiarId: 'f1', text: `My cat is called ${MARKER} and loves hiking`, provenance: 'person' });
  await repo.update(user, m.id, { text: `My cat ${MARKER} now prefers sleeping` });
  await repo.addTurn({
    userId: user,
    familiarId: 'f1',
    conversationId: 'c1',
    messageId: '0001',
    role: 'user',
    text: `say hi to ${MARKER}`,
  });
  await repo.addTurn({ userId: user, familiarId: 'f1', conversationId: 'c1', messageId: '0002', role: 'assistant', text: 'Hello there!' });
  await repo.flush();
  return m;
}

describe('#21 column encryption of memory text on PostgreSQL (DATA-2)', () => {
  let t: TestStorage;
  beforeAll(async () => {
    t = await openTestStorage('postgres');
  });
  afterAll(async () => t.cleanup());

  it('#21 DATA-2: no plaintext memory, version, turn, context or index word anywhere in the schema; search still finds it', async () => {
    const repo = encryptedRepo(t.storage, KEY_A);
    const m = await writeMarkers(repo);
    expect(await placesWithMarker(t.storage, t.pgSchema!)).toEqual([]);
    // The tsvector is never filled: the blind index replaces it.
    const tsv = await t.storage.pool!.query(`select count(*)::int as n from memory_items where tsv is not null`);
    expect(tsv.rows[0].n).toBe(0);
    // Found by the word, its stem and the neighbour context; read back in the clear.
    const hits = await repo.search({ userId: 'u1', q: MARKER });
    expect(hits.map((h) => h.text)).toContain(`My cat ${MARKER} now prefers sleeping`);
    expect((await repo.search({ userId: 'u1', q: 'sleeps', kinds: ['memory'] }))[0]?.id).toBe(m.id);
    expect(await repo.search({ userId: 'u1', q: 'hiking', kinds: ['memory'] })).toEqual([]);
    const turns = await repo.search({ userId: 'u1', q: 'hello', kinds: ['turn'] });
    expect(turns.map((h) => h.text)).toEqual(['Hello there!', `say hi to ${MARKER}`]);
    expect((await repo.history('u1', m.id))!.map((v) => v.text)).toEqual([
      `My cat is called ${MARKER} and loves hiking`,
      `My cat ${MARKER} now prefers sleeping`,
    ]);
    // Another person's identical word is another token: their search never reaches u1's rows (DATA-4).
    expect(await repo.search({ userId: 'u2', q: MARKER })).toEqual([]);
    const tokens = await t.storage.pool!.query(`select count(distinct user_id)::int as n from memory_blind_terms`);
    expect(tokens.rows[0].n).toBe(1);
  });

  it('#21 DATA-2: a wrong master key is refused with a typed error, and an altered or moved ciphertext never reads as garbage', async () => {
    const wrong = encryptedRepo(t.storage, KEY_B);
    const refused = await wrong.list({ userId: 'u1' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(MemoryCryptoError);
    expect(refused).toMatchObject({ code: 'MEMORY_KEY_WRONG' });
    expect(String((refused as Error).message)).not.toContain(KEY_A.toString('hex'));
    await expect(wrong.search({ userId: 'u1', q: MARKER })).rejects.toMatchObject({ code: 'MEMORY_KEY_WRONG' });

    const repo = encryptedRepo(t.storage, KEY_A);
    const a = await repo.add({ userId: 'u3', familiarId: 'f1', text: 'first secret', provenance: 'person' });
    const b = await repo.add({ userId: 'u3', familiarId: 'f1', text: 'second secret', provenance: 'person' });
    // Copy b's ciphertext onto a: bound to its row, it does not open there.
    await t.storage.pool!.query(`update memory_items set text = (select text from memory_items where id = $2) where id = $1`, [a.id, b.id]);
    await expect(repo.get('u3', a.id)).rejects.toMatchObject({ code: 'MEMORY_DECRYPT_FAILED' });
    // One flipped character of the ciphertext.
    await t.storage.pool!.query(
      `update memory_items set text = overlay(text placing (case when substr(text, 30, 1) = 'A' then 'B' else 'A' end) from 30 for 1) where id = $1`,
      [b.id],
    );
    await expect(repo.get('u3', b.id)).rejects.toMatchObject({ code: 'MEMORY_DECRYPT_FAILED' });
    await repo.eraseUser('u3');
  });

  it('#21 DATA-2: erasure, a merge of two people and a removed message keep the blind index and the sealed context right', async () => {
    const repo = encryptedRepo(t.storage, KEY_A);
    for (const [i, text] of ['I adopted a parrot', `the parrot is named ${MARKER}q`, 'it sings opera'].entries())
      await repo.addTurn({
        userId: 'm1',
        familiarId: 'f1',
        conversationId: 'cm',
        messageId: `000${i}`,
        role: i % 2 ? 'assistant' : 'user',
        text,
      });
    await repo.flush();
    // Moved to another person: their search finds it (the tokens were re-made for them), the old owner's does not.
    expect(await repo.reassignUser('m1', 'm2')).toBe(3);
    expect((await repo.search({ userId: 'm2', q: 'parrot opera' })).length).toBe(3);
    expect(await repo.search({ userId: 'm1', q: 'parrot' })).toEqual([]);
    // The middle turn removed: its words leave the neighbours' context too.
    await t.storage.db.transaction().execute((tx) => repo.removeMessages(tx as never, 'm2', 'cm', ['0001']));
    expect(await repo.search({ userId: 'm2', q: `${MARKER}q` })).toEqual([]);
    expect((await repo.search({ userId: 'm2', q: 'opera' })).map((h) => h.text)).toEqual(['it sings opera', 'I adopted a parrot']);
    expect(await repo.eraseUser('m2')).toBe(2);
    const left = await t.storage.pool!.query(`select count(*)::int as n from memory_blind_terms where user_id in ('m1', 'm2')`);
    expect(left.rows[0].n).toBe(0);
  });

  it('#21 DATA-2: the embedding worker embeds the plaintext; the same rows read without encryption are refused, not shown as ciphertext', async () => {
    const seen: string[] = [];
    const embedder: Embedder = {
      model: 'fake',
      embed: async (texts) => {
        seen.push(...texts);
        return texts.map(() => Float32Array.from({ length: 8 }, (_, i) => (i === 0 ? 1 : 0.1)));
      },
    };
    const storage = t.storage;
    const repo = createMemoryRepository({ storage, embedder, encryption: memoryEncryption({ storage, vault: vaultOf(KEY_A) }) });
    await repo.add({ userId: 'e1', familiarId: 'f1', text: `the kettle is called ${MARKER}e`, provenance: 'person' });
    const worker = createEmbeddingWorker({
      storage,
      index: repo.searchIndex,
      embedder,
      logger: createLogger({ level: 'silent' }),
      openTexts: repo.openTexts,
    });
    expect(await worker.drain()).toBe(1);
    expect(seen).toEqual([`the kettle is called ${MARKER}e`]);
    const off = createMemoryRepository({ storage });
    await expect(off.list({ userId: 'e1' })).rejects.toMatchObject({ code: 'MEMORY_ENCRYPTED' });
    await repo.eraseUser('e1');
  });

  it('#21 DATA-2: a master-key rotation re-seals the memory key; memories and search work under the new key only', async () => {
    const storage = t.storage;
    const rotating = vaultOf(KEY_B, KEY_A);
    const report = await rotateKeys(storage, rotating);
    expect(report.resealed['vault_data_keys.sealed']).toBeGreaterThan(0);
    const after = encryptedRepo(storage, KEY_B);
    expect((await after.search({ userId: 'u1', q: MARKER })).length).toBeGreaterThan(0);
    expect((await after.list({ userId: 'u1', kinds: ['memory'] }))[0]?.text).toContain(MARKER);
    await expect(encryptedRepo(storage, KEY_A).list({ userId: 'u1' })).rejects.toMatchObject({ code: 'MEMORY_KEY_WRONG' });
    // Back to A for the tests that follow.
    await rotateKeys(storage, vaultOf(KEY_A, KEY_B));
  });
});

describe('#21 converting plain PostgreSQL memory rows (hearth db encrypt, DATA-2)', () => {
  let t: TestStorage;
  beforeAll(async () => {
    t = await openTestStorage('postgres');
  });
  afterAll(async () => t.cleanup());

  it('#21 DATA-2: plain rows are sealed in batches, resumably: stopped after a batch, the rest is done by the next run', async () => {
    const plain = createMemoryRepository({ storage: t.storage });
    await writeMarkers(plain);
    await plain.addMany(
      Array.from({ length: 120 }, (_, i) => ({
        userId: `p${i % 3}`,
        familiarId: 'f1',
        text: `plain ${MARKER} number ${i}`,
        provenance: 'person' as const,
      })),
    );
    expect((await placesWithMarker(t.storage, t.pgSchema!)).length).toBeGreaterThan(120);
    const encryption = memoryEncryption({ storage: t.storage, vault: vaultOf(KEY_A) });
    const repo = createMemoryRepository({ storage: t.storage, encryption });
    // Before conversion plain rows still read as they are (a server may run with the variable on).
    expect((await repo.list({ userId: 'u1', kinds: ['memory'] }))[0]?.text).toBe(`My cat ${MARKER} now prefers sleeping`);
    const stop = new Error('stopped');
    const first = await encryptStoredMemories({
      storage: t.storage,
      encryption,
      index: repo.searchIndex,
      batchSize: 50,
      onBatch: () => {
        throw stop;
      },
    }).catch((err: unknown) => err);
    expect(first).toBe(stop);
    const half = await t.storage.pool!.query(
      `select count(*) filter (where blind_len is not null)::int as done, count(*)::int as n from memory_items`,
    );
    expect(half.rows[0]).toEqual({ done: 50, n: 123 });
    const report = await encryptStoredMemories({ storage: t.storage, encryption, index: repo.searchIndex, batchSize: 50 });
    expect(report).toEqual({ items: 73, versions: 1, proposals: 0 });
    expect(await placesWithMarker(t.storage, t.pgSchema!)).toEqual([]);
    expect((await repo.search({ userId: 'p1', q: `${MARKER} 7`, limit: 100 })).length).toBe(40);
    expect((await repo.history('u1', (await repo.list({ userId: 'u1', kinds: ['memory'] }))[0]!.id))![0]!.text).toContain('hiking');
    // Nothing is left to do.
    expect(await encryptStoredMemories({ storage: t.storage, encryption, index: repo.searchIndex })).toEqual({
      items: 0,
      versions: 0,
      proposals: 0,
    });
  });

  it('#21 DATA-2: conversion killed with SIGKILL mid-way leaves every row whole (plain and indexed, or sealed and blind-indexed), then completes', async () => {
    const schemaT = await openTestStorage('postgres');
    try {
      const plain = createMemoryRepository({ storage: schemaT.storage });
      const rows = 3000;
      for (let i = 0; i < rows; i += 1000)
        await plain.addMany(
          Array.from({ length: 1000 }, (_, j) => ({
            userId: `k${(i + j) % 7}`,
            familiarId: 'f1',
            text: `ballast ${MARKER} ${i + j} ${'word '.repeat(30)}`,
            provenance: 'person' as const,
          })),
        );
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', resolve('test/memory/encrypt-child.ts'), PG_URL, schemaT.pgSchema!, KEY_A.toString('hex')],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const exit = new Promise((done) => child.on('exit', done));
      await new Promise<void>((done, fail) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          // Killed while a later batch is in flight (several batches committed).
          if ((out.match(/batch/g) ?? []).length >= 3) done();
        });
        void exit.then(() => fail(new Error(`child exited early: ${out} ${err}`)));
      });
      child.kill('SIGKILL');
      await exit;
      const pool = schemaT.storage.pool!;
      const state = await pool.query(`
        select count(*)::int as n,
          count(*) filter (where blind_len is not null and text ~ '^hm1:' and tsv is null)::int as sealed,
          count(*) filter (where blind_len is null and text !~ '^hm1:' and tsv is not null)::int as plain,
          (select count(distinct seq)::int from memory_blind_terms) as indexed
        from memory_items`);
      const s = state.rows[0] as { n: number; sealed: number; plain: number; indexed: number };
      expect(s.n).toBe(rows);
      expect(s.sealed + s.plain).toBe(rows);
      expect(s.sealed).toBeGreaterThan(0);
      expect(s.sealed).toBeLessThan(rows);
      expect(s.indexed).toBe(s.sealed);
      const encryption = memoryEncryption({ storage: schemaT.storage, vault: vaultOf(KEY_A) });
      const repo = createMemoryRepository({ storage: schemaT.storage, encryption });
      const report = await encryptStoredMemories({ storage: schemaT.storage, encryption, index: repo.searchIndex });
      expect(report.items).toBe(s.plain);
      expect(await placesWithMarker(schemaT.storage, schemaT.pgSchema!)).toEqual([]);
      expect((await repo.search({ userId: 'k2', q: `${MARKER} 1234` }))[0]?.text).toContain(`${MARKER} 1234 `);
    } finally {
      await schemaT.cleanup();
    }
  }, 120_000);
});

describe('#21 hearth db encrypt on PostgreSQL (DATA-2)', () => {
  it('#21 DATA-2: the command seals a database’s plain memory rows in batches and says what it did; run again it finds nothing left', async () => {
    // A database of its own: the command reads HEARTH_DATABASE_URL alone, so Hearth's tables are in its public schema.
    const name = `hearth_enc_${randomBytes(5).toString('hex')}`;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    const url = PG_URL.replace(/\/[^/]*$/, `/${name}`);
    const dataDir = tempDir();
    try {
      const storage = await openStorage({ dataDir, databaseUrl: url });
      await migrateToLatest(storage, migrationsOf());
      const plain = createMemoryRepository({ storage });
      await writeMarkers(plain);
      await plain.addMany(
        Array.from({ length: 30 }, (_, i) => ({
          userId: 'c1',
          familiarId: 'f1',
          text: `row ${i} ${MARKER}`,
          provenance: 'person' as const,
        })),
      );
      await storage.close();
      const env = {
        HEARTH_DATABASE_URL: url,
        HEARTH_MASTER_KEY: KEY_A.toString('hex'),
        HEARTH_DATA_DIR: dataDir,
        HEARTH_LOG_LEVEL: 'error',
      };
      const run = await runHearth(['db', 'encrypt', '--batch', '7'], { env });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toContain('sealed 33 memory entries, 1 versions, 0 proposals');
      const after = await openStorage({ dataDir, databaseUrl: url });
      try {
        expect(await placesWithMarker(after, 'public')).toEqual([]);
        const repo = encryptedRepo(after, KEY_A);
        expect((await repo.search({ userId: 'c1', q: `${MARKER} 17` }))[0]?.text).toBe(`row 17 ${MARKER}`);
        const audited = await after.pool!.query(`select count(*)::int as n from audit_log where action = 'storage.encrypted'`);
        expect(audited.rows[0].n).toBe(1);
      } finally {
        await after.close();
      }
      const again = await runHearth(['db', 'encrypt'], { env });
      expect(again.stdout).toContain('sealed 0 memory entries, 0 versions, 0 proposals');
      expect((await runHearth(['db', 'encrypt', '--batch', '0'], { env })).code).not.toBe(0);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe('#21 column encryption in a running Hearth on PostgreSQL (DATA-2)', () => {
  let w: ChatWorld;
  beforeAll(async () => {
    w = await startChatWorld({ db: 'postgres', env: { HEARTH_DATABASE_ENCRYPTION: 'on', HEARTH_MASTER_KEY: KEY_A.toString('hex') } });
  });
  afterAll(async () => w?.close());

  it('#21 DATA-2: memories over the API, extracted facts and proposals are sealed; the API and search read them in the clear', async () => {
    const auth = w.auth(w.alice.key);
    const added = await w.t.app.inject({
      method: 'POST',
      url: '/api/memories',
      headers: auth,
      payload: { familiarId: w.familiarId, text: `Alice's tortoise is ${MARKER}` },
    });
    expect(added.statusCode, added.body).toBe(201);
    const found = await w.t.app.inject({ method: 'GET', url: `/api/memories?q=${MARKER}`, headers: auth });
    expect(found.json()).toMatchObject({ memories: [expect.objectContaining({ text: `Alice's tortoise is ${MARKER}` })] });
    // Automatic memory, "ask": the fact (with the marker only in the model's answer) waits as a proposal.
    const patched = await w.t.app.inject({
      method: 'PATCH',
      url: `/api/familiars/${w.familiarId}`,
      headers: w.auth(w.admin.key),
      payload: { memoryExtraction: 'ask' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    w.fake.route = (body) =>
      JSON.stringify(body.messages ?? '').includes('long-term memory of one person')
        ? { text: JSON.stringify({ facts: [{ text: `Alice walks ${MARKER} on Sundays.`, replaces: null }] }) }
        : undefined;
    const c = await newConversation(w, w.alice.key);
    const said = await w.t.app.inject({
      method: 'POST',
      url: `/api/conversations/${c}/messages`,
      headers: auth,
      payload: { text: 'My tortoise and I walk on Sundays.' },
    });
    expect(said.statusCode, said.body).toBe(200);
    await w.t.hearth.memory.extractor.drain();
    const proposals = await w.t.app.inject({ method: 'GET', url: '/api/memories/proposals', headers: auth });
    expect(proposals.json()).toMatchObject({ proposals: [expect.objectContaining({ text: `Alice walks ${MARKER} on Sundays.` })] });
    await w.t.hearth.memory.repo.flush();
    expect(await placesWithMarker(w.t.hearth.storage, w.t.hearth.storage.pgSchema!)).toEqual([]);
    const id = (proposals.json() as { proposals: Array<{ id: string }> }).proposals[0]!.id;
    const accepted = await w.t.app.inject({ method: 'POST', url: `/api/memories/proposals/${id}/accept`, headers: auth });
    expect(accepted.statusCode, accepted.body).toBe(201);
    expect(await placesWithMarker(w.t.hearth.storage, w.t.hearth.storage.pgSchema!)).toEqual([]);
    const again = await w.t.app.inject({ method: 'GET', url: `/api/memories?q=${MARKER}%20sundays`, headers: auth });
    expect((again.json() as { memories: Array<{ text: string }> }).memories[0]?.text).toBe(`Alice walks ${MARKER} on Sundays.`);
  });
});
