import { randomUUID } from 'node:crypto';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { loginCookie, userWithKey } from '../identity/helpers.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { startTestHearth, type TestHearth } from '../support/hearth.js';

const IP = '198.51.100.77';

describe.each(DATABASE_KINDS)(
  '#15 erasure: no trace of the person stays readable in audit entries, and the chain still verifies on %s (DATA-5, LOG-3)',
  (db) => {
    let t: TestHearth;
    let owner: Awaited<ReturnType<typeof userWithKey>>;
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    beforeAll(async () => {
      t = await startTestHearth({ db });
      owner = await userWithKey(t, 'olivia', 'owner', ['read', 'write', 'admin']);
    });
    afterAll(async () => t.close());

    /** Every stored audit column and every vault key purpose, as someone with the database would read them. */
    async function rawAudit(): Promise<string> {
      const rows = await sql`select * from audit_log`.execute(t.hearth.storage.db);
      const subjects = await sql`select * from audit_subjects`.execute(t.hearth.storage.db);
      const keys = await sql`select purpose from vault_data_keys`.execute(t.hearth.storage.db);
      return JSON.stringify([rows.rows, subjects.rows, keys.rows]);
    }

    it('erases the name, id and addresses of a member who logged in, failed a login and was acted on by an admin', async () => {
      const zoe = await userWithKey(t, 'zoe-erasable', 'member', ['read', 'write']);
      await loginCookie(t, 'zoe-erasable');
      await t.app.inject({
        method: 'POST',
        url: '/api/auth/login',
        remoteAddress: IP,
        payload: { name: 'zoe-erasable', password: 'wrong password 123' },
      });
      await t.hearth.identity.setRole(zoe.user.id, 'admin', owner.user.id);
      await t.hearth.identity.setRole(zoe.user.id, 'member', owner.user.id);
      const before = await rawAudit();
      // On today's main every one of these is stored in clear, and stays after erasure.
      expect(before).not.toContain(zoe.user.id);
      expect(before).not.toContain('zoe-erasable');
      expect(before).not.toContain(IP);
      // While she exists, the entries read as usual (the admin's audit page, her own export).
      const listed = await t.hearth.audit.list({ userId: zoe.user.id });
      expect(listed.some((e) => e.action === 'auth.login' && e.target === zoe.user.id)).toBe(true);
      expect(
        (await t.hearth.audit.list({ action: 'auth.login' })).some(
          (e) => e.target === 'zoe-erasable' && JSON.stringify(e.actor).includes(IP),
        ),
      ).toBe(true);
      const seqs = listed.map((e) => e.seq);

      const res = await t.app.inject({ method: 'DELETE', url: `/api/users/${zoe.user.id}`, headers: as(owner.key) });
      expect(res.statusCode, res.body).toBe(200);

      expect(await t.hearth.audit.verify()).toMatchObject({ ok: true });
      const after = await t.hearth.audit.list({ limit: 500 });
      const text = JSON.stringify(after);
      for (const trace of [zoe.user.id, 'zoe-erasable', IP]) expect(text).not.toContain(trace);
      // The entries are still there (time, action, outcome), only what they said of her is gone.
      const kept = after.filter((e) => seqs.includes(e.seq));
      expect(kept).toHaveLength(seqs.length);
      for (const e of kept) expect(e).toMatchObject({ erased: true, target: null, details: null });
      expect(await t.hearth.audit.list({ userId: zoe.user.id })).toEqual([]);
      expect(after.find((e) => e.action === 'privacy.erase')).toMatchObject({ outcome: 'success' });
      // The owner's own entries stay readable; only those about both of them (the role changes) are shredded.
      expect((await t.hearth.audit.list({ userId: owner.user.id })).some((e) => e.erased !== true)).toBe(true);
    });

    it('a chat account refused before it was linked leaves no trace once its person is erased', async () => {
      const external = `tg-${Date.now()}-erasable`;
      // What the channel hub records for someone not admitted yet (channel.unauthorized).
      await t.hearth.audit.record({
        actor: { type: 'channel', channel: 'telegram', externalId: external },
        action: 'channel.unauthorized',
        outcome: 'denied',
        details: { reason: 'not_allowed' },
      });
      expect(await rawAudit()).not.toContain(external);
      const person = `person_${randomUUID()}`;
      await t.hearth.channels.identities.link({ channel: 'telegram', externalId: external, userId: person });
      const res = await t.app.inject({ method: 'DELETE', url: `/api/users/${person}`, headers: as(owner.key) });
      expect(res.statusCode, res.body).toBe(200);
      const text = JSON.stringify(await t.hearth.audit.list({ limit: 500 })) + (await rawAudit());
      expect(text).not.toContain(external);
      expect(text).not.toContain(person);
      expect(await t.hearth.audit.verify()).toMatchObject({ ok: true });
    });

    it('a member erasing themselves leaves no entry naming them', async () => {
      const max = await userWithKey(t, 'max-self', 'member', ['read', 'write']);
      await loginCookie(t, 'max-self');
      const res = await t.app.inject({ method: 'DELETE', url: `/api/users/${max.user.id}`, headers: as(max.key) });
      expect(res.statusCode, res.body).toBe(200);
      const text = JSON.stringify(await t.hearth.audit.list({ limit: 500 })) + (await rawAudit());
      expect(text).not.toContain(max.user.id);
      expect(text).not.toContain('max-self');
      expect(await t.hearth.audit.verify()).toMatchObject({ ok: true });
    });

    it('#15 erasure: a part that cannot be erased (the notes) fails the erasure with an error naming it; nothing reports success', async () => {
      const nia = await userWithKey(t, 'nia-notes', 'member', ['read', 'write']);
      const notes = join(t.dataDir, 'notes');
      rmSync(`${notes}.aside`, { recursive: true, force: true });
      try {
        renameSync(notes, `${notes}.aside`);
      } catch {
        // no notes yet
      }
      writeFileSync(notes, 'not a directory');
      try {
        const res = await t.app.inject({ method: 'DELETE', url: `/api/users/${nia.user.id}`, headers: as(owner.key) });
        expect(res.statusCode).toBe(500);
        expect(res.json()).toMatchObject({ code: 'INTERNAL', details: { part: 'notes', reason: 'ERASURE_INCOMPLETE' } });
        const [last] = await t.hearth.audit.list({ action: 'privacy.erase', limit: 1 });
        expect(last).toMatchObject({ outcome: 'failure', details: { part: 'notes' } });
        // Not reported erased, and still erasable: the account is there.
        expect(await t.hearth.identity.findUserById(nia.user.id)).toBeDefined();
      } finally {
        rmSync(notes, { force: true });
        try {
          renameSync(`${notes}.aside`, notes);
        } catch {
          // there was none
        }
      }
      const again = await t.app.inject({ method: 'DELETE', url: `/api/users/${nia.user.id}`, headers: as(owner.key) });
      expect(again.statusCode, again.body).toBe(200);
      expect(await t.hearth.identity.findUserById(nia.user.id)).toBeUndefined();
    });
  },
);
