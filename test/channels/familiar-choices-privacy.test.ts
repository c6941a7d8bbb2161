import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FamiliarRouteTables } from '../../src/channels/familiars/index.js';
import { userWithKey } from '../identity/helpers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

/**
 * A person's own choice of familiar (Discord `/familiar` in their DMs, Telegram `/familiar` in their
 * private chat) is keyed by their platform id: it is theirs (DATA-5, #22). A server's route is not.
 */
describe.each(DATABASE_KINDS)('familiar choices as personal data on %s (DATA-5, #22)', (db) => {
  let t: TestHearth;
  let owner: Awaited<ReturnType<typeof userWithKey>>;
  const as = (key: string) => ({ authorization: `Bearer ${key}` });
  const routes = () => t.hearth.storage.db.withTables<FamiliarRouteTables>();

  beforeAll(async () => {
    t = await startTestHearth({ db });
    owner = await userWithKey(t, 'olivia', 'owner', ['read', 'write', 'admin']);
  });
  afterAll(async () => t.close());

  it('their DM and private-chat choices are in their export and gone with them; a server route stays', async () => {
    const person = `person_${randomUUID()}`;
    await t.hearth.channels.identities.link({ channel: 'discord', externalId: '4242', userId: person });
    await t.hearth.channels.identities.link({ channel: 'telegram', externalId: '777', userId: person });
    const at = Date.now();
    await routes()
      .insertInto('channel_familiar_routes')
      .values([
        { channel: 'discord', place: 'dm:4242', familiar_id: 'f-luna', updated_at: at },
        { channel: 'telegram', place: 'chat:777', familiar_id: 'f-sol', updated_at: at },
        { channel: 'discord', place: 'guild:4242', familiar_id: 'f-sol', updated_at: at },
        { channel: 'discord', place: 'dm:9999', familiar_id: 'f-luna', updated_at: at },
      ])
      .execute();

    const exported = await t.app.inject({ url: `/api/users/${person}/export`, headers: as(owner.key) });
    expect(exported.statusCode).toBe(200);
    expect((exported.json() as { familiarChoices: unknown[] }).familiarChoices).toEqual(
      expect.arrayContaining([
        { channel: 'discord', place: 'dm:4242', familiarId: 'f-luna' },
        { channel: 'telegram', place: 'chat:777', familiarId: 'f-sol' },
      ]),
    );
    expect(exported.body).not.toContain('dm:9999');
    expect(exported.body).not.toContain('guild:4242');

    const erased = await t.app.inject({ method: 'DELETE', url: `/api/users/${person}`, headers: as(owner.key) });
    expect(erased.statusCode).toBeLessThan(300);
    const left = await routes().selectFrom('channel_familiar_routes').select(['channel', 'place']).orderBy('place').execute();
    expect(left).toEqual([
      { channel: 'discord', place: 'dm:9999' },
      { channel: 'discord', place: 'guild:4242' },
    ]);
  });
});
