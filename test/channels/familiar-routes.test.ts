import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createVoiceBudget, type VoiceBudget } from '../../src/budgets/index.js';
import {
  createFamiliarRouter,
  familiarRouteData,
  type FamiliarRouter,
  type FamiliarRouteTables,
} from '../../src/channels/familiars/index.js';
import type { Familiar } from '../../src/companions/index.js';
import { createAuditLog } from '../../src/security/audit/index.js';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';

const f = (id: string, slug: string, name: string, allowedUsers: string[] | null = null) =>
  ({ id, slug, name, allowedUsers }) as unknown as Familiar;
let FAMILIARS: Familiar[];

for (const kind of DATABASE_KINDS) {
  describe(`familiar routes and voice budgets on ${kind} (issue #22)`, () => {
    let db: TestStorage;
    let router: FamiliarRouter;
    let voice: VoiceBudget;
    const system = { type: 'system' as const };

    beforeEach(async () => {
      db = await openTestStorage(kind);
      FAMILIARS = [f('f1', 'luna', 'Luna'), f('f2', 'sol', 'Sol'), f('f3', 'luna-prime', 'Luna Prime'), f('f4', 'nox', 'Nox', ['u_only'])];
      const audit = createAuditLog({ storage: db.storage, key: randomBytes(32), now: () => Date.now() });
      router = createFamiliarRouter({
        db: db.storage.db.withTables<FamiliarRouteTables>(),
        familiars: {
          list: async () => FAMILIARS,
          get: async (id) => FAMILIARS.find((x) => x.id === id),
          canUse: (x, user) => x.allowedUsers === null || x.allowedUsers.includes(user.userId),
        },
        env: ['discord:guild:100=sol', 'discord=luna-prime', 'bogus entry', 'twitch:prefix:!nox=nox', 'discord:channel:7=missing'],
        fallback: async () => 'f1',
        audit,
        now: () => Date.now(),
      });
      voice = createVoiceBudget({ db: db.storage.db as never, audit, now: () => Date.UTC(2026, 11, 1, 12), roleOf: async () => 'member' });
    });
    afterEach(async () => db?.cleanup());

    it('#22 channels: the most specific place wins; stored beats env; deleted or forbidden familiars are skipped', async () => {
      expect(await router.resolve('discord', ['channel:7', 'guild:100'], 'u1')).toBe('f2'); // env guild (channel names a missing familiar)
      expect(await router.resolve('discord', ['channel:8', 'guild:200'], 'u1')).toBe('f3'); // env default of discord
      expect(await router.resolve('telegram', ['chat:1'], 'u1')).toBe('f1'); // the fallback
      await router.set('discord', 'guild:100', 'f1', system);
      expect(await router.resolve('discord', ['channel:7', 'guild:100'], 'u1')).toBe('f1');
      await router.set('discord', 'channel:7', 'f4', system); // Nox: only for u_only
      expect(await router.resolve('discord', ['channel:7', 'guild:100'], 'u1')).toBe('f1');
      expect(await router.resolve('discord', ['channel:7', 'guild:100'], 'u_only')).toBe('f4');
      FAMILIARS = FAMILIARS.filter((x) => x.id !== 'f1'); // Luna deleted: her routes fall through
      expect(await router.resolve('discord', ['channel:9', 'guild:100'], 'u1')).toBe('f2');
      await router.set('discord', 'guild:100', null, system);
      const routes = await router.list();
      expect(routes).toContainEqual({ channel: 'discord', place: 'guild:100', familiarId: 'f2', source: 'env' });
      expect(routes).not.toContainEqual(expect.objectContaining({ place: 'channel:7', source: 'env' })); // names no familiar
      expect(routes.filter((r) => r.source === 'stored')).toEqual([
        { channel: 'discord', place: 'channel:7', familiarId: 'f4', source: 'stored' },
      ]);
      expect((await router.routesOf('twitch', 'prefix')).map((r) => r.place)).toEqual(['prefix:!nox']);
    });

    it('#22 channels: deleting a familiar with its data removes its routes, and only its', async () => {
      await router.set('telegram', 'chat:1', 'f2', system);
      await router.set('discord', 'guild:5', 'f2', system);
      await router.set('discord', 'guild:6', 'f1', system);
      expect(await familiarRouteData(db.storage.db.withTables<FamiliarRouteTables>()).erase('f2')).toEqual({ channelFamiliarRoutes: 2 });
      expect((await router.list()).filter((r) => r.source === 'stored').map((r) => r.place)).toEqual(['guild:6']);
    });

    it('#22 channels: names are matched whole, longest first, case-insensitively; only familiars the person may use', async () => {
      expect(await router.named('Luna Prime, hello', 'u1')).toMatchObject({ familiar: { id: 'f3' }, rest: 'hello' });
      expect(await router.named('luna: hi', 'u1')).toMatchObject({ familiar: { id: 'f1' }, rest: 'hi' });
      expect(await router.named('Lunatic fringe', 'u1')).toBeUndefined();
      expect(await router.named('SOL', 'u1')).toMatchObject({ familiar: { id: 'f2' }, rest: '' });
      expect(await router.named('Nox, open up', 'u1')).toBeUndefined();
      expect(await router.find('NOX', 'u1')).toBeUndefined();
      expect(await router.find('nox', 'u_only')).toMatchObject({ id: 'f4' });
      expect((await router.familiars('u1')).map((x) => x.slug)).toEqual(['luna', 'sol', 'luna-prime']);
    });

    it('#22 budgets: 20 concurrent recordings near a voice limit never pass it; a new day starts at zero', async () => {
      await voice.set({ kind: 'person', userId: 'u1' }, { minutesPerDay: 1, minutesPerMonth: null }, system); // 60 s
      const payer = { userId: 'u1', familiarId: 'f1', channel: 'web' };
      const results = await Promise.allSettled(Array.from({ length: 20 }, () => voice.charge(payer, 12)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
      for (const r of results.filter((r) => r.status === 'rejected'))
        expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { dimension: 'voiceSeconds' } });
      const [line] = await voice.status('u1');
      expect(line).toMatchObject({ period: 'day', usedSeconds: 60, limitSeconds: 60 });
      const tomorrow = createVoiceBudget({
        db: db.storage.db as never,
        audit: createAuditLog({ storage: db.storage, key: randomBytes(32) }),
        now: () => Date.UTC(2026, 11, 2, 0, 0, 1),
        roleOf: async () => 'member',
      });
      await tomorrow.charge(payer, 59.2); // rounded up to 60: exactly the limit
      await expect(tomorrow.charge(payer, 0.1)).rejects.toMatchObject({ code: 'BUDGET_EXCEEDED' });
    });
  });
}
