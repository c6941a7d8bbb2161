import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { startHearthProcess } from '../support/cli.js';
import { PG_URL, tempDir } from '../support/databases.js';
import { startTestHearth } from '../support/hearth.js';

const TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0';
const HELLO = 'Hello! Write to me any time.';
const REPLY = 'Slow and steady.';
const USERS = Array.from({ length: 12 }, (_, i) => 9100 + i);
const TALKER = 9200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(fn: () => T | undefined | false | Promise<T | undefined | false>, what: string, tries = 1600): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    await sleep(25);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Two `hearth start` processes, each in its own data directory, on one database of their own. */
describe('#19 SIGKILL the replica that runs the Telegram bot, mid-turn (two `hearth start` processes)', () => {
  const fake = new FakeTelegram(TOKEN);
  let ai: FakeOpenAI;
  const database = `hearth_replicas_${randomBytes(4).toString('hex')}`;
  const url = PG_URL.replace(/\/[^/]*$/, `/${database}`);
  const masterKey = randomBytes(32).toString('hex');
  const dirs: string[] = [];
  const procs: Array<{ child: ChildProcessWithoutNullStreams; output: () => string }> = [];
  let apiRoot = '';
  const query = async <T extends pg.QueryResultRow>(connectionString: string, text: string) => {
    const c = new pg.Client({ connectionString });
    await c.connect();
    try {
      return (await c.query<T>(text)).rows;
    } finally {
      await c.end();
    }
  };
  /** The bot's stored polling state: the ids of updates taken but not finished. */
  const pendingIds = async () => {
    const rows = await query<{ value: string }>(url, `SELECT value FROM cluster_state WHERE key = 'updates:123456789'`);
    return rows[0]
      ? (JSON.parse(rows[0].value) as { pending: Array<{ update_id: number; message?: { from?: { id: number } } }> }).pending
      : undefined;
  };
  const start = async () => {
    const dir = tempDir();
    dirs.push(dir);
    const p = await startHearthProcess({
      cwd: dir,
      env: {
        HEARTH_DATA_DIR: dir,
        HEARTH_DATABASE_URL: url,
        HEARTH_MASTER_KEY: masterKey,
        HEARTH_LOG_LEVEL: 'info',
        HEARTH_TELEGRAM_BOT_TOKEN: TOKEN,
        HEARTH_TELEGRAM_API_ROOT: apiRoot,
        HEARTH_TELEGRAM_ALLOWED_USERS: [...USERS, TALKER].join(','),
        HEARTH_CHANNEL_FAMILIAR: 'wren',
      },
    });
    procs.push(p);
    return p;
  };
  const answers = (id: number, text: string) =>
    fake.calls.filter((c) => c.method === 'sendMessage' && String(c.chat_id) === String(id) && c.text === text);

  beforeAll(async () => {
    apiRoot = await fake.listen();
    // every model call takes a while, so a turn is surely in flight when the owner is killed
    ai = await startFakeOpenAI({ fallback: { text: REPLY, delayMs: 1500 } });
    await query(PG_URL, `CREATE DATABASE ${database}`);
    // the familiar and its provider, made once by an in-process Hearth on that database (without bots)
    const setup = await startTestHearth({
      db: 'postgres',
      pgSchema: 'public',
      env: { HEARTH_DATABASE_URL: url, HEARTH_MASTER_KEY: masterKey },
    });
    const provider = await setup.hearth.providers.create({ name: 'fake', baseUrl: ai.url, trustedLocalNetwork: true }, { type: 'system' });
    await setup.hearth.familiars.create(
      { slug: 'wren', name: 'Wren', persona: 'kind', model: 'm', providerId: provider.id },
      { type: 'system' },
    );
    await setup.close();
  }, 60_000);
  afterAll(async () => {
    for (const p of procs) p.child.kill('SIGKILL');
    await fake.close();
    await ai?.close();
    await sleep(200);
    await query(PG_URL, `DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('CH-2: the survivor takes the bot over within 30 s and finishes the turn the dead owner took; every update is answered exactly once', async () => {
    const a = await start();
    const b = await start();
    const owned = (p: { output: () => string }) => p.output().includes('"lease acquired"');
    const owner = await until(() => [a, b].find(owned), 'one process to own the bot');
    const survivor = owner === a ? b : a;
    expect(owned(survivor)).toBe(false);
    for (const id of USERS.slice(0, 4)) fake.userSays({ id }, '/start');
    for (const id of USERS.slice(0, 4)) await fake.messagesTo(id, 1, 20_000);

    // a turn in flight on the owner: the update is taken from Telegram (confirmed there by the next poll) and not answered yet
    fake.userSays({ id: TALKER }, 'How are you?');
    await until(() => ai.requests.some((r) => r.path.includes('chat')), 'the owner to call the model');
    await until(async () => {
      const pending = await pendingIds();
      return pending?.length === 1 && pending[0]!.message?.from?.id === TALKER;
    }, 'the owner to record the /start updates done and the turn pending');

    owner.child.kill('SIGKILL');
    for (const id of USERS.slice(4)) fake.userSays({ id }, '/start');
    // a dead process's session, and its lock with it, ends at once; the survivor's next try (5 s) wins
    await until(() => owned(survivor), 'the survivor to take the bot over');
    for (const id of USERS.slice(4)) await fake.messagesTo(id, 1, 20_000);
    await until(() => answers(TALKER, REPLY).length > 0, 'the survivor to answer the turn the owner died in');
    // a last update, answered after everything before it
    fake.userSays({ id: USERS[0]! }, '/start');
    await fake.messagesTo(USERS[0]!, 2, 20_000);
    expect(USERS.map((id) => answers(id, HELLO).length)).toEqual(USERS.map((id) => (id === USERS[0] ? 2 : 1)));
    expect(answers(TALKER, REPLY)).toHaveLength(1);
    expect(await pendingIds()).toEqual([]);
  }, 120_000);
});
