import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createFamiliarRouter,
  familiarRouteData,
  type FamiliarRouter,
  type FamiliarRouteTables,
} from '../../src/channels/familiars/index.js';
import { createFamiliarBots, FAMILIAR_BOT_TOKEN_COLUMN, type FamiliarBots } from '../../src/channels/telegram/index.js';
import type { Familiar } from '../../src/companions/index.js';
import { createVault, rotateKeys } from '../../src/security/vault/index.js';
import { FakeTelegram } from '../fakes/telegram-server.js';
import { DATABASE_KINDS } from '../support/databases.js';
import { channelHarness, type ChannelHarness } from './harness.js';

const familiar = (id: string, slug: string, name: string) => ({ id, slug, name, allowedUsers: null }) as unknown as Familiar;
const FAMILIARS = [familiar('f_luna', 'luna', 'Luna'), familiar('f_sol', 'sol', 'Sol')];
const SOL_TOKEN = '555000111:SOLqTcvCH1vGWJxfSeofSAs0K5PALDsaw7';
const system = { type: 'system' as const };

for (const kind of DATABASE_KINDS) {
  describe(`Twitch channels and familiar bots stored on ${kind} (issue #22)`, () => {
    let h: ChannelHarness;
    let router: FamiliarRouter;
    let fake: FakeTelegram;
    let apiRoot = '';
    const managers: FamiliarBots[] = [];

    beforeEach(async () => {
      h = await channelHarness(kind);
      router = createFamiliarRouter({
        db: h.db.storage.db.withTables<FamiliarRouteTables>(),
        familiars: { list: async () => FAMILIARS, get: async (id) => FAMILIARS.find((f) => f.id === id), canUse: () => true },
        env: [],
        twitchEnv: ['500:luna:!Luna', '600:sol:!sol', '700:nobody:!x', 'not an entry'],
        fallback: async () => 'f_luna',
        audit: h.audit,
        now: () => h.clock.now,
      });
      fake = new FakeTelegram(SOL_TOKEN, 'sol_bot');
      apiRoot = await fake.listen();
    });
    afterEach(async () => {
      for (const m of managers.splice(0)) await m.stop();
      await fake.close();
      await h.close();
    });

    it('#22 twitch: env channels (known familiars only), a stored one replaces the env one; leaving and erasing a familiar remove rows', async () => {
      expect(await router.twitch.list()).toEqual([
        { broadcasterId: '500', familiarId: 'f_luna', prefix: '!luna', source: 'env' },
        { broadcasterId: '600', familiarId: 'f_sol', prefix: '!sol', source: 'env' },
      ]);
      await router.twitch.set('600', { familiarId: 'f_luna', prefix: '!Moon' }, system);
      await router.twitch.set('800', { familiarId: 'f_sol', prefix: '!sun' }, system);
      expect(await router.twitch.list()).toEqual([
        { broadcasterId: '600', familiarId: 'f_luna', prefix: '!moon', source: 'stored' },
        { broadcasterId: '800', familiarId: 'f_sol', prefix: '!sun', source: 'stored' },
        { broadcasterId: '500', familiarId: 'f_luna', prefix: '!luna', source: 'env' },
      ]);
      await router.twitch.set('600', null, system);
      expect((await router.twitch.list()).map((c) => c.broadcasterId)).toEqual(['800', '500', '600']);
      expect(await familiarRouteData(h.db.storage.db.withTables<FamiliarRouteTables>()).erase('f_sol')).toEqual({
        channelFamiliarRoutes: 1,
      });
      expect((await router.twitch.list()).map((c) => c.broadcasterId)).toEqual(['500', '600']);
    });

    it('#22 telegram: a familiar bot token is sealed, survives `keys rotate`, and starts from the rotated vault; two familiars cannot share a bot', async () => {
      const oldKey = randomBytes(32);
      const make = (vault: ReturnType<typeof createVault>) => {
        const m = createFamiliarBots({
          db: h.db.storage.db,
          vault,
          audit: h.audit,
          hub: h.hub,
          logger: h.logger,
          scrubber: h.scrubber,
          now: () => h.clock.now,
          familiars: router,
          apiRoot,
          botIdsInUse: async () => [],
        });
        managers.push(m);
        return m;
      };
      const first = make(createVault({ masterKey: oldKey }));
      expect(await first.add('sol', SOL_TOKEN, system)).toMatchObject({ familiarId: 'f_sol', botId: '555000111', username: 'sol_bot' });
      await expect(first.add('luna', SOL_TOKEN, system)).rejects.toMatchObject({
        code: 'CONFLICT',
        details: { reason: 'TELEGRAM_BOT_IN_USE' },
      });
      await expect.poll(async () => (await first.list())[0]?.running, { timeout: 10_000 }).toBe(true);
      await first.stop();
      const secret = SOL_TOKEN.split(':')[1]!;
      const sealed = async () =>
        (await sql<{ token_sealed: string }>`select token_sealed from telegram_familiar_bots`.execute(h.db.storage.db)).rows.map(
          (r) => r.token_sealed,
        );
      const before = await sealed();
      expect(before).toHaveLength(1);
      expect(before[0]).not.toContain(secret);

      const rotated = createVault({ masterKey: randomBytes(32), previousMasterKey: oldKey });
      rotated.registerSealedColumn(FAMILIAR_BOT_TOKEN_COLUMN);
      const report = await rotateKeys(h.db.storage, rotated);
      expect(report.resealed['telegram_familiar_bots.token_sealed']).toBe(1);
      expect(await sealed()).not.toEqual(before);
      // opened under the current key after the rotation: the bot polls again
      const polls = fake.polls;
      const again = make(rotated);
      await again.start();
      await expect.poll(async () => (await again.list())[0]?.running, { timeout: 10_000 }).toBe(true);
      await expect.poll(() => fake.polls, { timeout: 10_000 }).toBeGreaterThan(polls);
      expect(await again.remove('f_sol', system)).toBe(true);
      expect(await again.list()).toEqual([]);
      expect(h.logs.text).not.toContain(secret);
    });
  });
}
