import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { userWithKey } from '../identity/helpers.js';

const MARK = 'xylophonequokka';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
    d.isDirectory() ? filesUnder(join(dir, d.name)) : d.isFile() ? [join(dir, d.name)] : [],
  );
}

async function allTableText(t: TestHearth): Promise<string> {
  const { storage } = t.hearth;
  const tables =
    storage.dialect === 'sqlite'
      ? (
          await sql<{ name: string }>`select name from sqlite_master where type in ('table') and name not like 'sqlite_%'`.execute(
            storage.db,
          )
        ).rows.map((r) => r.name)
      : (
          await sql<{
            name: string;
          }>`select table_name as name from information_schema.tables where table_schema = current_schema()`.execute(storage.db)
        ).rows.map((r) => r.name);
  let out = '';
  for (const table of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(storage.db).catch(() => ({ rows: [] }));
    out += JSON.stringify(rows.rows, (_k, v: unknown) =>
      Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'bigint' ? String(v) : v,
    );
  }
  return out;
}

describe.each(DATABASE_KINDS)('memory, notes and privacy over HTTP on %s (DATA-4, DATA-5, MEM-1, MEM-2)', (db) => {
  let t: TestHearth;
  let alice: Awaited<ReturnType<typeof userWithKey>>;
  let bob: Awaited<ReturnType<typeof userWithKey>>;
  let owner: Awaited<ReturnType<typeof userWithKey>>;
  let familiarId: string;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  beforeAll(async () => {
    t = await startTestHearth({ db });
    owner = await userWithKey(t, 'olivia', 'owner', ['read', 'write', 'chat', 'admin']);
    alice = await userWithKey(t, 'alice', 'member', ['read', 'write', 'chat']);
    bob = await userWithKey(t, 'bob', 'member', ['read', 'write', 'chat']);
    familiarId = (await t.hearth.familiars.create({ slug: 'wren', name: 'Wren', persona: 'kind', model: 'm' }, { type: 'system' })).id;
  });
  afterAll(async () => t.close());

  it('adds, searches, updates, shows history and deletes memories (MEM-2)', async () => {
    const add = await t.app.inject({
      method: 'POST',
      url: '/api/memories',
      headers: as(alice.key),
      payload: { familiarId, text: 'Alice adores mountain hiking', metadata: { topic: 'hobby' } },
    });
    expect(add.statusCode).toBe(201);
    const id = (add.json() as { id: string }).id;
    expect((add.json() as { provenance: string }).provenance).toBe('person');
    const found = await t.app.inject({
      url: `/api/memories?q=hiking&metadata=${encodeURIComponent('{"topic":"hobby"}')}`,
      headers: as(alice.key),
    });
    expect((found.json() as { memories: Array<{ id: string }> }).memories.map((m) => m.id)).toEqual([id]);
    expect(
      (
        await t.app.inject({
          method: 'PATCH',
          url: `/api/memories/${id}`,
          headers: as(alice.key),
          payload: { text: 'Alice adores climbing' },
        })
      ).statusCode,
    ).toBe(200);
    const hist = await t.app.inject({ url: `/api/memories/${id}/history`, headers: as(alice.key) });
    expect((hist.json() as { versions: unknown[] }).versions).toHaveLength(2);
    const bad = await t.app.inject({
      method: 'POST',
      url: '/api/memories',
      headers: as(alice.key),
      payload: { familiarId, text: 'x', provenance: 'owner' },
    });
    expect(bad.statusCode).toBe(400);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/memories/${id}`, headers: as(alice.key) })).statusCode).toBe(204);
    expect((await t.app.inject({ url: `/api/memories/${id}`, headers: as(alice.key) })).statusCode).toBe(404);
  });

  it("answers 404 to every route of one person aimed at another's ids, and changes nothing (DATA-4)", async () => {
    const add = await t.app.inject({
      method: 'POST',
      url: '/api/memories',
      headers: as(alice.key),
      payload: { familiarId, text: `alice private ${MARK}` },
    });
    const id = (add.json() as { id: string }).id;
    const conv = await t.hearth.conversations.create({ userId: alice.user.id, familiarId, channel: 'web' });
    const attempts = [
      { method: 'GET', url: `/api/memories/${id}` },
      { method: 'GET', url: `/api/memories/${id}/history` },
      { method: 'PATCH', url: `/api/memories/${id}`, payload: { text: 'pwned' } },
      { method: 'DELETE', url: `/api/memories/${id}` },
      { method: 'GET', url: `/api/conversations/${conv.id}` },
      { method: 'GET', url: `/api/conversations/${conv.id}/messages` },
      { method: 'DELETE', url: `/api/conversations/${conv.id}` },
      { method: 'GET', url: `/api/users/${alice.user.id}/export` },
      { method: 'DELETE', url: `/api/users/${alice.user.id}` },
      { method: 'GET', url: `/api/familiars/${familiarId}/notes?userId=${alice.user.id}` },
    ] as const;
    for (const a of attempts) {
      const res = await t.app.inject({
        method: a.method,
        url: a.url,
        headers: as(bob.key),
        ...('payload' in a ? { payload: a.payload } : {}),
      });
      expect([a.method, a.url, res.statusCode]).toEqual([a.method, a.url, a.url.includes('/notes') ? 403 : 404]);
    }
    const search = await t.app.inject({ url: `/api/memories?q=${MARK}`, headers: as(bob.key) });
    expect((search.json() as { memories: unknown[] }).memories).toEqual([]);
    expect((await t.hearth.memory.repo.get(alice.user.id, id))?.text).toBe(`alice private ${MARK}`);
    expect(await t.hearth.conversations.get(alice.user.id, conv.id)).toBeDefined();
  });

  it('lets admins manage familiar notes and refuses traversal with a code (MEM-1)', async () => {
    const base = `/api/familiars/${familiarId}/notes`;
    const put = await t.app.inject({
      method: 'PUT',
      url: `${base}/content`,
      headers: as(owner.key),
      payload: { path: 'lore/world.md', content: 'The world is round' },
    });
    expect(put.statusCode).toBe(200);
    const read = await t.app.inject({ url: `${base}/content?path=lore/world.md`, headers: as(owner.key) });
    expect((read.json() as { content: string }).content).toBe('The world is round');
    for (const path of ['../../hearth.db', '..%2f..%2fhearth.db', '/etc/passwd', 'lore\\..\\x.md']) {
      const res = await t.app.inject({ url: `${base}/content?path=${encodeURIComponent(path)}`, headers: as(owner.key) });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 'BAD_REQUEST', details: { reason: 'NOTE_PATH_REJECTED' } });
    }
    expect((await t.app.inject({ url: `/api/familiars/nope/notes`, headers: as(owner.key) })).statusCode).toBe(404);
    expect((await t.app.inject({ url: base, headers: as(alice.key) })).statusCode).toBe(403);
  });

  it('exports a person and then erases every trace of their words (DATA-5)', async () => {
    const carol = await userWithKey(t, 'carol', 'member', ['read', 'write', 'chat']);
    const word = `${MARK}carol`;
    await t.app.inject({
      method: 'POST',
      url: '/api/memories',
      headers: as(carol.key),
      payload: { familiarId, text: `carol memory ${word}` },
    });
    const m = (await t.hearth.memory.repo.list({ userId: carol.user.id }))[0]!;
    await t.hearth.memory.repo.update(carol.user.id, m.id, { text: `carol memory v2 ${word}` });
    const conv = await t.hearth.conversations.create({ userId: carol.user.id, familiarId, channel: 'web' });
    const msg = await t.hearth.conversations.addMessage({
      conversationId: conv.id,
      userId: carol.user.id,
      role: 'user',
      content: `hello ${word}`,
      status: 'complete',
    });
    await t.hearth.memory.retriever.indexTurn!({
      userId: carol.user.id,
      familiarId,
      conversationId: conv.id,
      messageId: msg.id,
      role: 'user',
      text: `hello ${word}`,
    });
    await t.hearth.memory.notes.write({ familiarId, userId: carol.user.id }, 'carol.md', `note ${word}`, {
      actor: { type: 'system' },
      source: 'model',
    });
    expect((await t.hearth.memory.retriever.retrieve({ userId: carol.user.id, familiarId, text: word, limit: 5 })).length).toBeGreaterThan(
      0,
    );

    const exp = await t.app.inject({ url: `/api/users/${carol.user.id}/export`, headers: as(carol.key) });
    expect(exp.statusCode).toBe(200);
    const data = exp.json() as {
      profile: { name: string };
      memories: Array<{ history: unknown[] }>;
      conversations: Array<{ messages: unknown[] }>;
      audit: unknown[];
    };
    expect(data.profile.name).toBe('carol');
    expect(data.memories[0]!.history).toHaveLength(2);
    expect(data.conversations[0]!.messages).toHaveLength(1);
    expect(data.audit.length).toBeGreaterThan(0);
    expect(exp.body).not.toMatch(/password_hash|key_hash|token_hash/);

    const del = await t.app.inject({ method: 'DELETE', url: `/api/users/${carol.user.id}`, headers: as(owner.key) });
    expect(del.statusCode).toBe(200);
    // The erased key stops working at once.
    expect((await t.app.inject({ url: '/api/memories', headers: as(carol.key) })).statusCode).toBe(401);
    expect(await allTableText(t)).not.toContain(word);
    expect(await allTableText(t)).not.toContain(carol.user.id.length > 0 ? `"user_id":"${carol.user.id}"` : 'x');
    if (t.hearth.storage.dialect === 'sqlite') {
      const vocab = await sql<{ term: string }>`select term from memory_fts_vocab`.execute(t.hearth.storage.db).catch(async () => {
        await sql`create virtual table memory_fts_vocab using fts5vocab(memory_fts, 'row')`.execute(t.hearth.storage.db);
        return sql<{ term: string }>`select term from memory_fts_vocab`.execute(t.hearth.storage.db);
      });
      expect(vocab.rows.some((r) => r.term.includes(MARK))).toBe(true); // alice's word is still indexed…
      expect(vocab.rows.some((r) => r.term.includes(word))).toBe(false); // …carol's is gone
    }
    for (const file of filesUnder(t.dataDir)) {
      if (statSync(file).size < 50_000_000) expect([file, readFileSync(file).includes(word)]).toEqual([file, false]);
    }
    const audit = await t.hearth.audit.list({ action: 'privacy.erase' });
    expect(audit[0]?.target).toMatch(/^erased:[0-9a-f]{16}$/);
  });
});
