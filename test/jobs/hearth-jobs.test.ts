import { existsSync, mkdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATABASE_KINDS, tempDir } from '../support/databases.js';
import { startTestHearth } from '../support/hearth.js';

function until(check: () => boolean | Promise<boolean>): Promise<void> {
  return new Promise((resolve) => {
    const tick = async () => ((await check()) ? resolve() : setTimeout(() => void tick(), 50));
    void tick();
  });
}
const DAY = 86_400_000;

describe.each(DATABASE_KINDS)('background work runs as jobs in a whole Hearth on %s', (db) => {
  it('retention, audit retention, the temp sweep and turn recovery are jobs; retention removes an old conversation when run', async () => {
    const dataDir = tempDir();
    // A stale temporary file a crashed write left behind.
    mkdirSync(join(dataDir, 'tmp'), { recursive: true, mode: 0o700 });
    const stale = join(dataDir, 'tmp', 'left-behind');
    writeFileSync(stale, 'x');
    utimesSync(stale, new Date(Date.now() - 2 * DAY), new Date(Date.now() - 2 * DAY));
    let offset = 0;
    const t = await startTestHearth({
      db,
      dataDir,
      now: () => Date.now() + offset,
      env: { HEARTH_RETENTION_DAYS: '1', HEARTH_AUDIT_RETENTION_DAYS: '30' },
    });
    try {
      const h = t.hearth;
      expect(h.jobs.backend).toBe(db === 'postgres' ? 'pg-boss' : 'in-process');
      expect(Object.keys(h.jobs.stats()).sort()).toEqual([
        'audit-retention',
        'files-sweep-temp',
        'memory-index-turns',
        'privacy-retention',
      ]);
      await until(() => !existsSync(stale));
      const user = await h.identity.createUser({ name: 'olga', password: 'correct horse battery staple 42', role: 'member' });
      const provider = await h.providers.create({ name: 'p', baseUrl: 'http://127.0.0.1:9/v1' }, { type: 'system' });
      const familiar = await h.familiars.create(
        { slug: 'f', name: 'F', persona: 'p', providerId: provider.id, model: 'm' },
        { type: 'system' },
      );
      const old = await h.conversations.create({ userId: user.id, familiarId: familiar.id, channel: 'web' });
      await h.conversations.addMessage({ conversationId: old.id, userId: user.id, role: 'user', content: 'long ago', status: 'complete' });
      await until(() => h.jobs.stats()['privacy-retention']!.succeeded >= 1);
      expect(await h.conversations.get(user.id, old.id)).toBeDefined();
      // Two days later the next run removes it.
      offset = 2 * DAY;
      const before = h.jobs.stats()['privacy-retention']!.succeeded;
      await h.jobs.trigger('privacy-retention');
      await until(() => h.jobs.stats()['privacy-retention']!.succeeded > before);
      expect(await h.conversations.get(user.id, old.id)).toBeUndefined();
      await until(() => h.jobs.stats()['audit-retention']!.succeeded >= 1);
      expect(h.jobs.stats()['privacy-retention']!.failed).toBe(0);
    } finally {
      await t.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
