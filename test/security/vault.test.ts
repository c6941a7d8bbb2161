import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import { createVault, dataKey, DATA_KEYS_COLUMN, resolveMasterKey, rotateKeys, VaultError } from '../../src/security/vault/index.js';
import { DATABASE_KINDS, openTestStorage, tempDir, type TestStorage } from '../support/databases.js';
import { LogCapture } from '../support/hearth.js';

const loc = { table: 'providers', column: 'api_key', id: 'p1' };
const key = () => randomBytes(32);

function flip(sealed: string, part: number): string {
  const parts = sealed.split(':');
  const raw = Buffer.from(parts[part]!, 'base64url');
  raw[0] = raw[0]! ^ 0x01;
  parts[part] = raw.toString('base64url');
  return parts.join(':');
}

function expectVaultError(fn: () => unknown, code: string, keyId?: string): VaultError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(VaultError);
    const e = err as VaultError;
    expect(e.code).toBe(code);
    if (keyId) expect(e.message).toContain(keyId);
    expect(e.message).not.toContain('sk-live');
    return e;
  }
  throw new Error('expected a VaultError');
}

describe('vault (DATA-1)', () => {
  const vault = createVault({ masterKey: key() });

  it('DATA-1 round-trips with a fresh nonce per value and names the key id', () => {
    const a = vault.seal(loc, 'sk-live-secret-1234');
    const b = vault.seal(loc, 'sk-live-secret-1234');
    expect(a).not.toBe(b);
    expect(a).not.toContain('sk-live');
    expect(vault.keyIdOf(a)).toBe(vault.keyId);
    expect(vault.open(loc, a)).toBe('sk-live-secret-1234');
  });

  it('DATA-1 refuses a flipped bit in nonce, ciphertext and tag', () => {
    const s = vault.seal(loc, 'sk-live-secret-1234');
    for (const part of [2, 3, 4]) expectVaultError(() => vault.open(loc, flip(s, part)), 'VAULT_DECRYPT_FAILED', vault.keyId);
  });

  it('DATA-1 binds the record identity: a value copied to another row, column or table does not open', () => {
    const s = vault.seal(loc, 'sk-live-secret-1234');
    for (const other of [
      { ...loc, id: 'p2' },
      { ...loc, column: 'token' },
      { ...loc, table: 'channels' },
    ])
      expectVaultError(() => vault.open(other, s), 'VAULT_DECRYPT_FAILED');
  });

  it('DATA-1 a changed key id gives a clear error naming that key id, never garbage', () => {
    const s = vault.seal(loc, 'sk-live-secret-1234');
    const parts = s.split(':');
    parts[1] = parts[1] === '00000000' ? '00000001' : '00000000';
    const e = expectVaultError(() => vault.open(loc, parts.join(':')), 'VAULT_UNKNOWN_KEY', parts[1]);
    expect(e.keyId).toBe(parts[1]);
    expectVaultError(() => vault.open(loc, 'not-sealed'), 'VAULT_MALFORMED');
  });

  it('DATA-1 a wrong master key fails naming the key id', () => {
    const s = vault.seal(loc, 'sk-live-secret-1234');
    const other = createVault({ masterKey: key() });
    expectVaultError(() => other.open(loc, s), 'VAULT_UNKNOWN_KEY', vault.keyId);
  });

  it('DATA-1 development key file is created 0600 once, with a warning', () => {
    const dataDir = tempDir();
    const logs = new LogCapture();
    const logger = createLogger({ level: 'warn', destination: logs });
    const config = { masterKey: undefined, dataDir, isProduction: false };
    const k1 = resolveMasterKey({ config, logger });
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
    expect(resolveMasterKey({ config, logger }).equals(k1)).toBe(true);
    expect(logs.text).toContain('does not protect a copied data directory');
    expect(logs.text).not.toContain(k1.toString('hex'));
    expect(() => resolveMasterKey({ config: { ...config, dataDir: tempDir() }, logger, create: false })).toThrow(/no master key/);
  });
});

describe.each(DATABASE_KINDS)('key rotation on %s (DATA-1)', (kind) => {
  let t: TestStorage;
  afterEach(async () => t.cleanup());

  it('DATA-1 rotates every value under live data in one transaction and reads each back', async () => {
    t = await openTestStorage(kind);
    const oldKey = key();
    const v1 = createVault({ masterKey: oldKey });
    v1.registerSealedColumn(DATA_KEYS_COLUMN);
    const auditKey = await dataKey(t.storage, v1, 'audit.chain');
    const db = t.storage.db.withTables<{ secrets_demo: { id: string; secret: string | null } }>();
    await t.storage.db.schema
      .createTable('secrets_demo')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret', 'text')
      .execute();
    const values = new Map<string, string>();
    for (let i = 0; i < 25; i++) {
      const id = `row${i}`;
      const value = `token-${i}-${randomBytes(8).toString('hex')}`;
      values.set(id, value);
      await db
        .insertInto('secrets_demo')
        .values({ id, secret: v1.seal({ table: 'secrets_demo', column: 'secret', id }, value) })
        .execute();
    }
    await db.insertInto('secrets_demo').values({ id: 'empty', secret: null }).execute();

    const v2 = createVault({ masterKey: key(), previousMasterKey: oldKey });
    v2.registerSealedColumn(DATA_KEYS_COLUMN);
    v2.registerSealedColumn({ table: 'secrets_demo', column: 'secret', idColumn: 'id' });
    const report = await rotateKeys(t.storage, v2);
    expect(report.resealed['secrets_demo.secret']).toBe(25);
    expect(report.resealed['vault_data_keys.sealed']).toBe(1);

    const rows = await db.selectFrom('secrets_demo').selectAll().where('secret', 'is not', null).execute();
    for (const row of rows) {
      expect(v2.keyIdOf(row.secret!)).toBe(v2.keyId);
      expect(v2.open({ table: 'secrets_demo', column: 'secret', id: row.id }, row.secret!)).toBe(values.get(row.id));
      expectVaultError(() => v1.open({ table: 'secrets_demo', column: 'secret', id: row.id }, row.secret!), 'VAULT_UNKNOWN_KEY', v2.keyId);
    }
    expect((await dataKey(t.storage, v2, 'audit.chain')).equals(auditKey)).toBe(true);
  });

  it('DATA-1 a value under an unknown key aborts the rotation and changes nothing', async () => {
    t = await openTestStorage(kind);
    const oldKey = key();
    const stranger = createVault({ masterKey: key() });
    const v1 = createVault({ masterKey: oldKey });
    const db = t.storage.db.withTables<{ secrets_demo: { id: string; secret: string | null } }>();
    await t.storage.db.schema
      .createTable('secrets_demo')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('secret', 'text')
      .execute();
    const first = v1.seal({ table: 'secrets_demo', column: 'secret', id: 'a' }, 'one');
    await db.insertInto('secrets_demo').values({ id: 'a', secret: first }).execute();
    await db
      .insertInto('secrets_demo')
      .values({ id: 'b', secret: stranger.seal({ table: 'secrets_demo', column: 'secret', id: 'b' }, 'two') })
      .execute();
    const v2 = createVault({ masterKey: key(), previousMasterKey: oldKey });
    v2.registerSealedColumn({ table: 'secrets_demo', column: 'secret', idColumn: 'id' });
    await expect(rotateKeys(t.storage, v2)).rejects.toMatchObject({ code: 'VAULT_UNKNOWN_KEY', keyId: stranger.keyId });
    const a = await db.selectFrom('secrets_demo').select('secret').where('id', '=', 'a').executeTakeFirstOrThrow();
    expect(a.secret).toBe(first);
  });
});
