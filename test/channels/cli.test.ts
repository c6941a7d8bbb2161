import { describe, expect, it } from 'vitest';
import { runHearth } from '../support/cli.js';
import { startTestHearth } from '../support/hearth.js';

describe('hearth pairings (CH-2)', () => {
  it('CH-2: lists pending codes and approves one from the shell; the audit names the system actor', async () => {
    const t = await startTestHearth();
    const admission = await t.hearth.channels.hub.admit({ channel: 'telegram', externalId: '4242', displayName: 'newcomer' });
    if (admission.kind !== 'pairing') throw new Error('expected a pairing code');
    const env = { HEARTH_DATA_DIR: t.dataDir, HEARTH_LOG_LEVEL: 'error' };
    try {
      const list = await runHearth(['pairings', 'list'], { env, cwd: t.dataDir });
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`${admission.code}\ttelegram\tnewcomer`);
      const ok = await runHearth(['pairings', 'approve', admission.code.toLowerCase()], { env, cwd: t.dataDir });
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain(`${admission.code} approved`);
      expect(await t.hearth.channels.hub.admit({ channel: 'telegram', externalId: '4242' })).toMatchObject({ kind: 'allowed' });
      expect((await t.hearth.audit.list({ action: 'channel.pairing.approve' }))[0]?.actor).toEqual({ type: 'system' });
    } finally {
      await t.close();
    }
  }, 240_000); // two child processes compile TypeScript on a shared 2-core machine
});
