import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_KINDS, openTestStorage, type TestStorage } from '../support/databases.js';
import { migrateToLatest } from '../../src/storage/index.js';
import { createVault } from '../../src/security/vault/index.js';
import { createShellEnablement, shellMigrations } from '../../src/tools/shell/index.js';
import { createMcpServerStore, mcpMigrations } from '../../src/tools/mcp/index.js';

for (const kind of DATABASE_KINDS) {
  describe(`tools repositories on ${kind} (EXEC-1, EXEC-2, DATA-1)`, () => {
    let db: TestStorage;
    beforeAll(async () => {
      db = await openTestStorage(kind, { migrate: false });
      await migrateToLatest(db.storage, [...shellMigrations, ...mcpMigrations]);
    });
    afterAll(async () => db?.cleanup());

    it('shell enablement: off until the owner enables it, then off again', async () => {
      const repo = createShellEnablement(db.storage, () => 1_700_000_000_000);
      expect(await repo.isEnabled('f1')).toBe(false);
      await repo.enable('f1', 'owner-1');
      await repo.enable('f1', 'owner-2');
      expect(await repo.isEnabled('f1')).toBe(true);
      expect(await repo.list()).toEqual([{ familiarId: 'f1', enabledBy: 'owner-2', enabledAt: 1_700_000_000_000 }]);
      expect(await repo.disable('f1')).toBe(true);
      expect(await repo.disable('f1')).toBe(false);
      expect(await repo.isEnabled('f1')).toBe(false);
    });

    it('MCP servers: credentials sealed to their row, masked on read, typed fields round-trip', async () => {
      const vault = createVault({ masterKey: randomBytes(32) });
      const store = createMcpServerStore({ storage: db.storage, vault, defaultTimeoutMs: 30_000 });
      const a = await store.create({
        name: 'a',
        transport: 'stdio',
        command: '/usr/bin/x',
        args: ['--y'],
        secrets: { env: { TOKEN: 'secret-value-1234' }, headers: {} },
      });
      expect(a).toMatchObject({ name: 'a', transport: 'stdio', args: ['--y'], enabled: false, allowedTools: [], timeoutMs: 30_000 });
      expect(await store.secrets(a.id)).toEqual({ env: { TOKEN: 'secret-value-1234' }, headers: {} });
      expect(await store.maskedSecrets(a.id)).toEqual({ env: { TOKEN: '••••1234' }, headers: {} });
      const b = await store.create({ name: 'b', transport: 'http', url: 'http://127.0.0.1:1/mcp' });
      // A sealed value moved to another row does not open (the row id is associated data).
      const rows = db.storage.db.withTables<{ mcp_servers: { id: string; secrets_sealed: string | null } }>();
      const sealed = (await rows.selectFrom('mcp_servers').select('secrets_sealed').where('id', '=', a.id).executeTakeFirstOrThrow())
        .secrets_sealed;
      expect(sealed).not.toContain('secret-value');
      await rows.updateTable('mcp_servers').set({ secrets_sealed: sealed }).where('id', '=', b.id).execute();
      await expect(store.secrets(b.id)).rejects.toThrow();
      const updated = await store.update(a.id, { enabled: true, allowedTools: ['echo'], timeoutMs: 500 });
      expect(updated).toMatchObject({ enabled: true, allowedTools: ['echo'], timeoutMs: 500 });
      expect((await store.list()).map((s) => s.name)).toEqual(['a', 'b']);
      expect(await store.remove(a.id)).toBe(true);
      expect(await store.get(a.id)).toBeUndefined();
    });
  });
}
