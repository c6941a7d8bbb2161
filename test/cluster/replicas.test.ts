import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HEARTH_PLUGINS } from '../../src/app/index.js';
import { createClusterPlugin, createOutbox, type ClusterTables } from '../../src/cluster/index.js';
import { openStorage } from '../../src/storage/index.js';
import { definePlugin } from '../../src/core/index.js';
import { sql } from 'kysely';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { dropSchema, PG_URL, tempDir, uniqueSchema } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const MASTER_KEY = randomBytes(32).toString('hex');
const HELLO = 'Hello! Write to me any time.';
const USERS = Array.from({ length: 40 }, (_, i) => 8000 + i);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hearth's plugins with leases retried every 100 ms (the default, 5 s, only slows the test). */
const plugins = HEARTH_PLUGINS.map((p) => (p.name === 'cluster' ? createClusterPlugin({ leaseRetryMs: 100, leaseCheckMs: 250 }) : p));

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, tries = 600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('#19 replicas on one PostgreSQL database: one owner per bot, takeover, the bus (CH-2)', () => {
  const schema = uniqueSchema();
  const fake = new FakeTelegram(TOKEN);
  let apiRoot = '';
  const replicas: TestHearth[] = [];
  /** The invalidator scopes each replica ran, recorded by a plugin of the test's own. */
  const scopes = new Map<TestHearth, string[]>();
  const replica = async () => {
    const seen: string[] = [];
    const recorder = definePlugin({
      name: 'recorder',
      init: () => ({ contributes: { invalidators: [(scope) => void seen.push(scope ?? '*')] } }),
    });
    const t = await startTestHearth({
      db: 'postgres',
      pgSchema: schema,
      plugins: [...plugins, recorder],
      env: {
        // replicas share the database, so they share the master key
        HEARTH_MASTER_KEY: MASTER_KEY,
        HEARTH_TELEGRAM_BOT_TOKEN: TOKEN,
        HEARTH_TELEGRAM_API_ROOT: apiRoot,
        HEARTH_TELEGRAM_ALLOWED_USERS: USERS.slice(0, 30).join(','),
        HEARTH_RATE_CHANNEL_PERSON: '1000',
        HEARTH_RATE_CHANNEL_TOTAL: '100000',
      },
    });
    replicas.push(t);
    scopes.set(t, seen);
    return t;
  };
  const alive = () => replicas.filter((t) => !closed.has(t));
  const closed = new Set<TestHearth>();
  const stop = async (t: TestHearth) => {
    closed.add(t);
    await t.close();
  };
  const owners = () => alive().filter((t) => t.hearth.channels.running('telegram'));
  const oneOwner = () => until(() => owners().length === 1 && owners()[0], 'exactly one replica to run the Telegram bot');
  const hellos = (id: number) =>
    fake.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === String(id) && c.text === HELLO);
  let sent = 0;
  /** Each of the next `n` users says /start once. */
  const say = (n: number) => {
    const users = USERS.slice(sent, sent + n);
    sent += n;
    for (const id of users) fake.userSays({ id, username: `u${id}` }, '/start');
    return users;
  };
  /** Every user so far got exactly one answer. */
  const answeredOnce = async (users: readonly number[]) => {
    for (const id of users) await fake.messagesTo(id, 1, 20_000);
    return users.map((id) => hellos(id).length);
  };

  beforeAll(async () => {
    apiRoot = await fake.listen();
    const a = await replica();
    await a.hearth.familiars.create({ slug: 'wren', name: 'Wren', persona: 'kind', model: 'm' }, { type: 'system' });
    await replica();
  }, 60_000);
  afterAll(async () => {
    for (const t of alive()) await t.close().catch(() => undefined);
    await fake.close();
    await dropSchema(schema);
  });

  it('CH-2: two replicas, one bot connection: every update is answered exactly once', async () => {
    const owner = await oneOwner();
    const other = alive().find((t) => t !== owner)!;
    expect(other.hearth.cluster.leases.holding('channel:telegram')).toBe(false);
    const users = say(8);
    expect(await answeredOnce(users)).toEqual(users.map(() => 1));
    expect(owners()).toEqual([owner]);
  }, 60_000);

  it('CH-2: the owner stops; the other replica takes the bot over from the stored offset: nothing replayed, nothing lost', async () => {
    const before = USERS.slice(0, sent);
    const owner = await oneOwner();
    await stop(owner);
    // these wait at Telegram while no replica polls
    const users = say(6);
    const next = await oneOwner();
    expect(next).not.toBe(owner);
    expect(await answeredOnce(users)).toEqual(users.map(() => 1));
    // the updates answered before the takeover were not answered again
    expect(before.map((id) => hellos(id).length)).toEqual(before.map(() => 1));
    const rows = await next.hearth.storage.db.withTables<ClusterTables>().selectFrom('cluster_leases').selectAll().execute();
    expect(rows.find((r) => r.name === 'channel:telegram')?.token).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('CH-2: the owner loses its lock connection (terminated in PostgreSQL): it stops polling and exactly one replica runs the bot again', async () => {
    await replica();
    const owner = await oneOwner();
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const killed = await admin.query(
        `SELECT pg_terminate_backend(a.pid) AS ok FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid
         WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'hearth-lease:channel:telegram'
           AND l.classid::int = hashtext($1) AND l.objid::int = hashtext('channel:telegram')`,
        [schema],
      );
      expect(killed.rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    const users = say(6);
    await until(() => owner.logs.text.includes('lease lost'), 'the cut-off owner to notice');
    await oneOwner();
    expect(await answeredOnce(users)).toEqual(users.map(() => 1));
    const all = USERS.slice(0, sent);
    expect(all.map((id) => hellos(id).length)).toEqual(all.map(() => 1));
  }, 60_000);

  it('CH-2: a pairing approved through a replica without the bot reaches the stranger through the owner (the bus)', async () => {
    const owner = await oneOwner();
    const other = alive().find((t) => t !== owner)!;
    fake.userSays({ id: 8801, username: 'stranger' }, 'hello?');
    const [code] = await fake.messagesTo(8801, 1);
    expect(code?.text).toMatch(/pairing code: [A-Z0-9]{8}/);
    const o = await other.hearth.identity.createUser({ name: 'owner', password: 'correct horse battery staple 1', role: 'owner' });
    const key = (await other.hearth.identity.createApiKey({ userId: o.id, scopes: ['read', 'write', 'admin'] })).key;
    const list = await other.app.inject({ method: 'GET', url: '/api/pairings', headers: { 'x-api-key': key } });
    const [pending] = (list.json() as { pairings: Array<{ id: string }> }).pairings;
    const ok = await other.app.inject({
      method: 'POST',
      url: `/api/pairings/${pending!.id}/approve`,
      headers: { 'x-api-key': key },
      payload: {},
    });
    expect(ok.statusCode).toBe(200);
    const [, approved] = await fake.messagesTo(8801, 2);
    expect(approved?.text).toBe('The owner approved you. You can chat now.');
    // a later update is answered after it: the approval notice was not sent twice meanwhile
    const [later] = say(1);
    expect(await answeredOnce([later!])).toEqual([1]);
    expect(fake.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === '8801')).toHaveLength(2);
  }, 60_000);

  it('CH-3: channel settings changed on one replica are in force on the owner at once (a row trigger on the bus invalidates its copy)', async () => {
    const owner = await oneOwner();
    const other = alive().find((t) => t !== owner)!;
    const newcomer = USERS[35]!;
    await other.hearth.channels.updateSettings('telegram', { allowedIds: [String(newcomer)], guildIds: [], pairing: null }, undefined, {
      type: 'system',
    });
    await until(() => owner.hearth.channels.rules('telegram').allowedIds.includes(String(newcomer)), 'the owner to reload its settings');
    fake.userSays({ id: newcomer, username: 'newcomer' }, '/start');
    const [reply] = await fake.messagesTo(newcomer, 1);
    expect(reply?.text).toBe(HELLO);
  }, 60_000);

  it('the invalidate webhook’s scope and a vector rewritten in place reach the other replica’s invalidators (the bus)', async () => {
    const owner = await oneOwner();
    const other = alive().find((t) => t !== owner)!;
    const seen = scopes.get(other)!;
    // what the signed `invalidate` webhook does on the replica that receives it: every invalidator runs
    for (const invalidate of owner.hearth.contributions('invalidators')) await invalidate('providers');
    await until(() => seen.includes('providers'), 'the other replica to drop its provider clients');
    const db = owner.hearth.storage.db;
    await sql`INSERT INTO memory_vectors (seq, user_id, dims, data) VALUES (424242, 'someone', 4, ${Buffer.from([1, 2, 3, 4])})`.execute(
      db,
    );
    await sql`INSERT INTO memory_vectors (seq, user_id, dims, data) VALUES (424242, 'someone', 4, ${Buffer.from([4, 3, 2, 1])})
              ON CONFLICT (seq) DO UPDATE SET data = excluded.data`.execute(db);
    await until(() => seen.includes('vectors'), 'the other replica to drop its vector caches');
  });

  it('a familiar changed on one replica is read fresh on the other', async () => {
    const [a, b] = alive();
    const f = (await a!.hearth.familiars.list())[0]!;
    await a!.hearth.familiars.update(f.id, { name: 'Wren the Second' }, { type: 'system' });
    expect((await b!.hearth.familiars.get(f.id))?.name).toBe('Wren the Second');
  });

  it('CH-2: an update the last owner took from Telegram but never answered (it crashed) is answered by the next owner, once; so is a message left while no replica ran the bot', async () => {
    for (const t of alive()) await stop(t);
    const orphan = USERS[29]!;
    const admin = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
    await admin.connect();
    try {
      const { rows } = await admin.query<{ value: string }>(
        "SELECT value FROM cluster_state WHERE scope = 'channel:telegram' AND key = 'updates:123456789'",
      );
      const state = JSON.parse(rows[0]!.value) as { next: number; pending: unknown[] };
      expect(state.pending).toEqual([]);
      const update = {
        update_id: state.next - 1,
        message: {
          message_id: 1,
          date: 0,
          text: '/start',
          chat: { id: orphan, type: 'private', first_name: 'o' },
          from: { id: orphan, is_bot: false, first_name: 'o' },
        },
      };
      await admin.query("UPDATE cluster_state SET value = $1 WHERE scope = 'channel:telegram' AND key = 'updates:123456789'", [
        JSON.stringify({ next: state.next, pending: [update] }),
      ]);
    } finally {
      await admin.end();
    }
    // and a message another replica left for the bot while it had no owner
    const dir = tempDir();
    const storage = await openStorage({ dataDir: dir, databaseUrl: PG_URL, pgSchema: schema });
    await createOutbox({ storage, now: Date.now }).push('channel:telegram', { externalId: '8802', text: 'Left while nobody ran the bot.' });
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
    await replica();
    await oneOwner();
    expect(await answeredOnce([orphan])).toEqual([1]);
    const [left] = await fake.messagesTo(8802, 1);
    expect(left?.text).toBe('Left while nobody ran the bot.');
    const [later] = say(1);
    expect(await answeredOnce([later!])).toEqual([1]);
    const all = USERS.slice(0, sent);
    expect(all.map((id) => hellos(id).length)).toEqual(all.map(() => 1));
  }, 60_000);
});
