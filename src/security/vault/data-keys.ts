import { randomBytes } from 'node:crypto';
import type { Storage } from '../../storage/index.js';
import type { Vault } from './types.js';

type VaultDataKeyTables = {
  vault_data_keys: { purpose: string; sealed: string; created_at: number };
};

export const DATA_KEYS_COLUMN = { table: 'vault_data_keys', column: 'sealed', idColumn: 'purpose' } as const;

/**
 * Returns the random 32-byte data key for `purpose`, creating it on first use (race-safe across
 * replicas). It is stored sealed, so rotating the master key only re-seals it and everything it
 * protects (e.g. the audit chain) stays verifiable.
 */
export async function dataKey(storage: Storage, vault: Vault, purpose: string, now: () => number = Date.now): Promise<Buffer> {
  const db = storage.db.withTables<VaultDataKeyTables>();
  const location = { table: DATA_KEYS_COLUMN.table, column: DATA_KEYS_COLUMN.column, id: purpose };
  const fresh = randomBytes(32).toString('base64');
  await db
    .insertInto('vault_data_keys')
    .values({ purpose, sealed: vault.seal(location, fresh), created_at: now() })
    .onConflict((oc) => oc.column('purpose').doNothing())
    .execute();
  const row = await db.selectFrom('vault_data_keys').select('sealed').where('purpose', '=', purpose).executeTakeFirstOrThrow();
  return Buffer.from(vault.open(location, row.sealed), 'base64');
}

/**
 * The data keys of several purposes at once, opened; a purpose whose key was destroyed (or never
 * made) is absent from the map. Reading never creates a key.
 */
export async function openDataKeys(storage: Storage, vault: Vault, purposes: readonly string[]): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  if (purposes.length === 0) return out;
  const db = storage.db.withTables<VaultDataKeyTables>();
  const rows = await db
    .selectFrom('vault_data_keys')
    .select(['purpose', 'sealed'])
    .where('purpose', 'in', [...purposes])
    .execute();
  for (const row of rows) {
    const location = { table: DATA_KEYS_COLUMN.table, column: DATA_KEYS_COLUMN.column, id: row.purpose };
    out.set(row.purpose, Buffer.from(vault.open(location, row.sealed), 'base64'));
  }
  return out;
}

/** Destroys the data keys of these purposes (crypto-shredding: what they sealed can no longer be read). Returns how many existed. */
export async function destroyDataKeys(storage: Storage, purposes: readonly string[]): Promise<number> {
  if (purposes.length === 0) return 0;
  const db = storage.db.withTables<VaultDataKeyTables>();
  const res = await db
    .deleteFrom('vault_data_keys')
    .where('purpose', 'in', [...purposes])
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
