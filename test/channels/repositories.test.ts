import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createIdentityLinks,
  createLinkCodes,
  createPairingStore,
  LINK_CODE_TTL_MS,
  MAX_PENDING_PER_CHANNEL,
  PAIRING_TTL_MS,
  type ChannelTables,
  type IdentityLinks,
  type LinkCodes,
  type PairingStore,
} from '../../src/channels/core/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

for (const kind of DATABASE_KINDS) {
  describe(`channel repositories on ${kind} (CH-2)`, () => {
    let db: TestStorage;
    let clock: { now: number };
    let pairings: PairingStore;
    let links: IdentityLinks;
    let codes: LinkCodes;

    beforeEach(async () => {
      db = await openTestStorage(kind);
      clock = { now: 1_700_000_000_000 };
      const tables = db.storage.db.withTables<ChannelTables>();
      pairings = createPairingStore({ db: tables, now: () => clock.now });
      links = createIdentityLinks({ db: tables, now: () => clock.now });
      codes = createLinkCodes({ db: tables, now: () => clock.now });
    });
    afterEach(async () => db?.cleanup());

    it('CH-2: codes are random 8-character codes from an unambiguous alphabet; asking again returns the same code', async () => {
      const a = await pairings.request({ channel: 'telegram', externalId: '1' });
      const b = await pairings.request({ channel: 'telegram', externalId: '1' });
      expect(a.kind).toBe('created');
      expect(b.kind).toBe('existing');
      if (a.kind === 'full' || b.kind === 'full') throw new Error('unexpected');
      expect(a.pairing.code).toMatch(/^[A-HJKMNP-Z2-9]{8}$/);
      expect(b.pairing.code).toBe(a.pairing.code);
      expect(a.pairing.expiresAt - a.pairing.createdAt).toBe(PAIRING_TTL_MS);
      const c = await pairings.request({ channel: 'telegram', externalId: '2' });
      if (c.kind === 'full') throw new Error('unexpected');
      expect(c.pairing.code).not.toBe(a.pairing.code);
    });

    it('CH-2: at most three pending per channel; expired ones free a slot; other channels are separate', async () => {
      for (let i = 0; i < MAX_PENDING_PER_CHANNEL; i++)
        expect((await pairings.request({ channel: 'telegram', externalId: `u${i}` })).kind).toBe('created');
      expect((await pairings.request({ channel: 'telegram', externalId: 'u9' })).kind).toBe('full');
      expect((await pairings.request({ channel: 'discord', externalId: 'u9' })).kind).toBe('created');
      clock.now += PAIRING_TTL_MS;
      expect(await pairings.pending('telegram')).toHaveLength(0);
      expect((await pairings.request({ channel: 'telegram', externalId: 'u9' })).kind).toBe('created');
    });

    it('CH-2: an expired code cannot be approved; a decided one cannot be decided twice; codes match case-insensitively', async () => {
      const r = await pairings.request({ channel: 'telegram', externalId: '1' });
      if (r.kind === 'full') throw new Error('unexpected');
      clock.now += PAIRING_TTL_MS;
      expect((await pairings.decide({ code: r.pairing.code }, 'approved', 'owner')).kind).toBe('expired');
      const s = await pairings.request({ channel: 'telegram', externalId: '2' });
      if (s.kind === 'full') throw new Error('unexpected');
      expect((await pairings.decide({ code: s.pairing.code.toLowerCase() }, 'denied', 'owner')).kind).toBe('ok');
      expect((await pairings.decide({ id: s.pairing.id }, 'approved', 'owner')).kind).toBe('decided');
      expect((await pairings.decide({ code: 'NOPE2345' }, 'approved', 'owner')).kind).toBe('not_found');
    });

    it('#15 identity: link codes are single use (also when raced), expire, are kept apart by kind, stored hashed, withdrawn by a new one', async () => {
      const web = await codes.issue({ kind: 'web', userId: 'u1' });
      expect(web.code).toMatch(/^[A-HJKMNP-Z2-9]{10}$/);
      expect(web.expiresAt - clock.now).toBe(LINK_CODE_TTL_MS);
      expect(await codes.peek('channel', web.code)).toBeUndefined(); // a web code is no channel code
      const raced = await Promise.all([codes.spend('web', web.code), codes.spend('web', web.code.toLowerCase())]);
      expect(raced.filter(Boolean)).toEqual([{ kind: 'web', userId: 'u1' }]);
      expect(await codes.spend('web', web.code)).toBeUndefined();

      const first = await codes.issue({ kind: 'channel', channel: 'telegram', externalId: '7', displayName: 'seven' });
      const second = await codes.issue({ kind: 'channel', channel: 'telegram', externalId: '7', displayName: 'seven' });
      expect(await codes.peek('channel', first.code)).toBeUndefined(); // withdrawn by the newer one
      expect(await codes.peek('channel', second.code)).toEqual({
        kind: 'channel',
        channel: 'telegram',
        externalId: '7',
        displayName: 'seven',
      });
      const rows = await db.storage.db.withTables<ChannelTables>().selectFrom('channel_link_codes').selectAll().execute();
      expect(JSON.stringify(rows)).not.toContain(second.code);
      clock.now += LINK_CODE_TTL_MS;
      expect(await codes.spend('channel', second.code)).toBeUndefined();

      // Erasure removes the person's codes and those of their chat accounts.
      await codes.issue({ kind: 'web', userId: 'u2' });
      await links.link({ channel: 'telegram', externalId: '7', userId: 'u2' });
      await codes.issue({ kind: 'channel', channel: 'telegram', externalId: '7', displayName: null });
      expect(await links.forgetPerson('u2')).toBeGreaterThanOrEqual(3);
      const left = await db.storage.db.withTables<ChannelTables>().selectFrom('channel_link_codes').selectAll().execute();
      expect(left.filter((r) => r.user_id === 'u2' || r.external_id === '7')).toEqual([]);
    });

    it('CH-2: identity links: one person across channels; ensure keeps the first link under concurrency', async () => {
      await links.link({ channel: 'telegram', externalId: '1', userId: 'u_web' });
      await links.link({ channel: 'discord', externalId: '9', userId: 'u_web' });
      expect((await links.list({ userId: 'u_web' })).map((l) => l.channel).sort()).toEqual(['discord', 'telegram']);
      const both = await Promise.all([
        links.ensure({ channel: 'twitch', externalId: '5', userId: 'a' }),
        links.ensure({ channel: 'twitch', externalId: '5', userId: 'b' }),
      ]);
      expect(both[0].userId).toBe(both[1].userId);
      expect(await links.forgetPerson('u_web')).toBe(2);
      expect(await links.list({ userId: 'u_web' })).toEqual([]);
      await links.link({ channel: 'telegram', externalId: '1', userId: 'u_web' });
      expect(await links.unlink('telegram', '1')).toBe(true);
      expect(await links.find('telegram', '1')).toBeUndefined();
    });
  });
}
