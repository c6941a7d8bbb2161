import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '../fakes/openai-server.js';
import { startFakeSpeech, toneWav, type FakeSpeech } from '../fakes/speech-server.js';
import { DATABASE_KINDS, dropSchema, openTestStorage, tempDir, uniqueSchema } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';
import { createClipStore } from '../../src/voice/clips.js';

const TEN_MINUTES = 10 * 60 * 1000;
const STRONG = 'correct horse battery staple 18';

describe.each(DATABASE_KINDS)('#18 voice: the spoken-reply clip store on %s (CH-5, DATA-3)', (kind) => {
  it('#18 voice: a clip is served to its person only, until it expires; the oldest go past the cap; expired ones are swept', async () => {
    const s = await openTestStorage(kind);
    try {
      let clock = 1_000_000;
      const clips = createClipStore({ storage: s.storage, ttlMs: TEN_MINUTES, maxPerUser: 3, now: () => clock });
      const audio = Buffer.from([0, 1, 2, 255, 254, 0, 7]);
      const id = await clips.put('alice', audio, 'audio/wav');
      expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
      expect(await clips.get('alice', id)).toEqual({ audio, contentType: 'audio/wav' });
      expect(await clips.get('bob', id)).toBeUndefined();
      expect(
        await clips.get(
          'alice',
          id.replace(/^./, (c) => (c === 'A' ? 'B' : 'A')),
        ),
      ).toBeUndefined();
      // The database holds no working id.
      const rows = await s.storage.db
        .withTables<{ voice_clips: { id_hash: string; user_id: string } }>()
        .selectFrom('voice_clips')
        .selectAll()
        .execute();
      expect(JSON.stringify(rows.map((r) => r.id_hash))).not.toContain(id);
      // Three more for alice: the first goes (cap 3); bob's are his own.
      clock += 1;
      const later: string[] = [];
      for (let i = 0; i < 3; i++) {
        clock += 1;
        later.push(await clips.put('alice', Buffer.from([i]), 'audio/ogg'));
      }
      const lastOfAlice = clock;
      clock += 1;
      const bobs = await clips.put('bob', Buffer.from([9]), 'audio/mpeg');
      expect(await clips.get('alice', id)).toBeUndefined();
      for (const l of later) expect(await clips.get('alice', l)).toBeDefined();
      // Expired: refused at once, and swept.
      clock = lastOfAlice + TEN_MINUTES;
      expect(await clips.get('alice', later[2]!)).toBeUndefined();
      expect(await clips.get('bob', bobs)).toBeDefined(); // spoken 1 ms after alice's last
      clock += 1;
      expect(await clips.sweep()).toBe(4);
      expect(await clips.get('bob', bobs)).toBeUndefined();
      // Erasing a person takes their waiting clips.
      const again = await clips.put('bob', Buffer.from([1]), 'audio/wav');
      expect(await clips.erase('bob')).toBe(1);
      expect(await clips.get('bob', again)).toBeUndefined();
    } finally {
      await s.cleanup();
    }
  });
});

describe('#18 voice: a spoken reply’s URL works through any replica over one PostgreSQL database (CH-5)', () => {
  const schema = uniqueSchema();
  const dataDir = tempDir('hearth-voice-replicas-');
  let clock = Date.now();
  let a: TestHearth;
  let b: TestHearth;
  let fake: FakeOpenAI;
  let speech: FakeSpeech;
  const keys: Record<'admin' | 'alice' | 'bob', string> = { admin: '', alice: '', bob: '' };
  let familiarId = '';
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    const options = { db: 'postgres' as const, pgSchema: schema, dataDir, now: () => clock };
    a = await startTestHearth(options);
    b = await startTestHearth(options); // the second replica: the same database (already migrated), the same vault key
    [fake, speech] = await Promise.all([
      startFakeOpenAI({ fallback: { text: 'The sea is wide.' } }),
      startFakeSpeech({ transcript: 'hi' }),
    ]);
    for (const [name, role] of [
      ['admin', 'admin'],
      ['alice', 'member'],
      ['bob', 'member'],
    ] as const) {
      const user = await a.hearth.identity.createUser({ name, password: STRONG, role });
      const scopes = role === 'admin' ? (['read', 'write', 'chat', 'admin'] as const) : (['read', 'write', 'chat'] as const);
      keys[name] = (await a.hearth.identity.createApiKey({ userId: user.id, scopes: [...scopes] })).key;
    }
    const admin = auth(keys.admin);
    const p = await a.app.inject({
      method: 'POST',
      url: '/api/providers',
      headers: admin,
      payload: { name: 'fake', baseUrl: fake.url, maxRetries: 0 },
    });
    expect(p.statusCode, p.body).toBe(201);
    const f = await a.app.inject({
      method: 'POST',
      url: '/api/familiars',
      headers: admin,
      payload: { slug: 'ember', name: 'Ember', persona: 'You are Ember.', providerId: p.json().id, model: 'fake-model' },
    });
    expect(f.statusCode, f.body).toBe(201);
    familiarId = (f.json() as { id: string }).id;
    for (const kind of ['stt', 'tts'])
      expect(
        (
          await a.app.inject({
            method: 'POST',
            url: '/api/voice/providers',
            headers: admin,
            payload: { name: kind, kind, baseUrl: speech.url, model: 'fake', active: true },
          })
        ).statusCode,
      ).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await fake?.close();
    await speech?.close();
    await dropSchema(schema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('#18 voice: spoken through replica A, served by replica B to the same person; 404 to another person, for an unknown id and after expiry', async () => {
    const c = await a.app.inject({ method: 'POST', url: '/api/conversations', headers: auth(keys.alice), payload: { familiarId } });
    expect(c.statusCode, c.body).toBe(201);
    const speak = async (r: TestHearth) => {
      const turn = await r.app.inject({
        method: 'POST',
        url: `/api/conversations/${c.json().id}/voice`,
        headers: { ...auth(keys.alice), 'content-type': 'audio/wav' },
        payload: toneWav(1),
      });
      expect(turn.statusCode, turn.body).toBe(200);
      return turn.json().audio as { url: string; contentType: string };
    };
    const { url, contentType } = await speak(a);

    const fromB = await b.app.inject({ method: 'GET', url, headers: auth(keys.alice) });
    expect(fromB.statusCode, fromB.body).toBe(200);
    expect(fromB.headers['content-type']).toBe(contentType);
    expect(fromB.headers['cache-control']).toBe('private, no-store');
    expect(fromB.rawPayload.subarray(0, 4).toString('ascii')).toBe('RIFF');
    const fromA = await a.app.inject({ method: 'GET', url, headers: auth(keys.alice) });
    expect(fromA.rawPayload.equals(fromB.rawPayload)).toBe(true);

    // Another person, or an id nobody was given: the same 404, nothing said about which it is.
    const strip = (body: string) => {
      const { requestId: _r, ...rest } = JSON.parse(body) as Record<string, unknown>;
      return rest;
    };
    const bobs = await b.app.inject({ method: 'GET', url, headers: auth(keys.bob) });
    const unknown = await b.app.inject({ method: 'GET', url: `/api/voice/clips/${'x'.repeat(24)}`, headers: auth(keys.alice) });
    expect(bobs.statusCode).toBe(404);
    expect(unknown.statusCode).toBe(404);
    expect(strip(bobs.body)).toEqual(strip(unknown.body));
    expect(bobs.body).not.toContain('RIFF');
    // Without a caller: 401, as for every chat route.
    expect((await b.app.inject({ method: 'GET', url })).statusCode).toBe(401);

    // After ten minutes, gone on both replicas.
    clock += TEN_MINUTES + 1;
    for (const r of [a, b]) {
      const late = await r.app.inject({ method: 'GET', url, headers: auth(keys.alice) });
      expect(late.statusCode).toBe(404);
      expect(strip(late.body)).toEqual(strip(unknown.body));
    }
    // The next clip, spoken by replica B, sweeps the expired one out of the database.
    const next = await speak(b);
    const rows = await b.hearth.storage.db
      .withTables<{ voice_clips: { user_id: string } }>()
      .selectFrom('voice_clips')
      .selectAll()
      .execute();
    expect(rows).toHaveLength(1);
    expect((await a.app.inject({ method: 'GET', url: next.url, headers: auth(keys.alice) })).statusCode).toBe(200);
    // The audio is never written to either log.
    for (const r of [a, b]) expect(r.logs.text).not.toContain(fromB.rawPayload.subarray(44, 80).toString('base64'));
  }, 60_000);
});
