import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { userWithKey } from '../identity/helpers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

interface Listed {
  id: string;
  kind: 'web' | 'channel';
  name: string | null;
  role: string | null;
  identities: Array<{ channel: string; externalId: string; displayName: string | null }>;
}

describe.each(DATABASE_KINDS)('people known only on a channel on %s (issue #15.2, DATA-5)', (db) => {
  let t: TestHearth;
  let owner: Awaited<ReturnType<typeof userWithKey>>;
  let admin: Awaited<ReturnType<typeof userWithKey>>;
  let member: Awaited<ReturnType<typeof userWithKey>>;
  let familiarId: string;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    t = await startTestHearth({ db });
    owner = await userWithKey(t, 'olivia', 'owner', ['read', 'write', 'admin']);
    admin = await userWithKey(t, 'adam', 'admin', ['read', 'write', 'admin']);
    member = await userWithKey(t, 'mia', 'member', ['read', 'write']);
    familiarId = (await t.hearth.familiars.create({ slug: 'wren', name: 'Wren', persona: 'kind', model: 'm' }, { type: 'system' })).id;
  });
  afterAll(async () => t.close());

  /** A Twitch viewer who is also on Discord, with a memory, a conversation and an indexed turn. */
  async function viewer(word: string) {
    const id = `person_${randomUUID()}`;
    await t.hearth.channels.identities.link({ channel: 'twitch', externalId: `tw${word}`, userId: id, displayName: `Viewer ${word}` });
    await t.hearth.channels.identities.link({ channel: 'discord', externalId: `dc${word}`, userId: id });
    await t.hearth.memory.repo.add({ userId: id, familiarId, text: `viewer memory ${word}`, provenance: 'person' });
    const conv = await t.hearth.conversations.create({ userId: id, familiarId, channel: 'twitch' });
    const msg = await t.hearth.conversations.addMessage({
      conversationId: conv.id,
      userId: id,
      role: 'user',
      content: `hi ${word}`,
      status: 'complete',
    });
    await t.hearth.memory.repo.addTurn({
      userId: id,
      familiarId,
      conversationId: conv.id,
      messageId: msg.id,
      role: 'user',
      text: `hi ${word}`,
    });
    return id;
  }

  it('#15.2 channel people: GET /api/people lists web accounts and channel-only people with their identities (admins only)', async () => {
    const id = await viewer(`list${db}`);
    await t.hearth.channels.identities.link({ channel: 'telegram', externalId: '4242', userId: member.user.id });
    const res = await t.app.inject({ url: '/api/people', headers: as(admin.key) });
    expect(res.statusCode).toBe(200);
    const people = (res.json() as { people: Listed[] }).people;
    expect(people.find((p) => p.id === id)).toMatchObject({
      kind: 'channel',
      role: null,
      name: `Viewer list${db}`,
      identities: expect.arrayContaining([
        expect.objectContaining({ channel: 'twitch', externalId: `twlist${db}` }),
        expect.objectContaining({ channel: 'discord', externalId: `dclist${db}` }),
      ]) as unknown,
    });
    expect(people.find((p) => p.id === member.user.id)).toMatchObject({
      kind: 'web',
      name: 'mia',
      role: 'member',
      identities: [expect.objectContaining({ channel: 'telegram', externalId: '4242' })],
    });
    expect(people.filter((p) => p.id === member.user.id)).toHaveLength(1);
    expect(res.body).not.toMatch(/password|hash/i);
    expect((await t.app.inject({ url: '/api/people', headers: as(member.key) })).statusCode).toBe(403);
  });

  it('#15.2 channel people: the owner exports and erases a person_ id; a member or admin cannot reach them', async () => {
    const word = `kestrelnimbus${db}`;
    const id = await viewer(word);
    for (const key of [member.key, admin.key]) {
      expect((await t.app.inject({ url: `/api/users/${id}/export`, headers: as(key) })).statusCode).toBe(404);
      expect((await t.app.inject({ method: 'DELETE', url: `/api/users/${id}`, headers: as(key) })).statusCode).toBe(404);
    }

    const exp = await t.app.inject({ url: `/api/users/${id}/export`, headers: as(owner.key) });
    expect(exp.statusCode).toBe(200);
    const data = exp.json() as {
      profile: { id: string };
      memories: Array<{ text: string }>;
      conversations: unknown[];
      channelIdentities: unknown[];
      pastTurnsIndexed: number;
    };
    expect(data.profile.id).toBe(id);
    expect(data.memories.map((m) => m.text)).toEqual([`viewer memory ${word}`]);
    expect(data.conversations).toHaveLength(1);
    expect(data.channelIdentities).toHaveLength(2);
    expect(data.pastTurnsIndexed).toBe(1);

    const del = await t.app.inject({ method: 'DELETE', url: `/api/users/${id}`, headers: as(owner.key) });
    expect(del.statusCode).toBe(200);
    expect((del.json() as { removed: Record<string, number> }).removed).toMatchObject({ memories: 2, conversations: 1, messages: 1 });
    expect(await t.hearth.channels.identities.list({ userId: id })).toEqual([]);
    expect(await t.hearth.memory.repo.search({ userId: id, q: word, kinds: ['memory', 'turn'] })).toEqual([]);
    expect(await t.hearth.conversations.list(id)).toEqual([]);
    expect((await t.app.inject({ url: `/api/users/${id}/export`, headers: as(owner.key) })).statusCode).toBe(404);
    const listed = (await t.app.inject({ url: '/api/people', headers: as(owner.key) })).json() as { people: Listed[] };
    expect(listed.people.some((p) => p.id === id)).toBe(false);
    expect(await t.hearth.audit.list({ action: 'privacy.erase', outcome: 'success' })).toHaveLength(1);
  });

  it('#15.2 channel people: an id nobody knows is still a 404 for the owner', async () => {
    expect((await t.app.inject({ url: `/api/users/person_${randomUUID()}/export`, headers: as(owner.key) })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'DELETE', url: `/api/users/person_${randomUUID()}`, headers: as(owner.key) })).statusCode).toBe(
      404,
    );
  });
});
