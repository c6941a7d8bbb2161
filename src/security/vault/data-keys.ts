import { randomBytes } from 'node:crypto';
import type { Storage } from '../../storage/index.js';
import type { HearthVault } from './types.js';

type VaultDataKeyTables = {
  vault_data_keys: { purpose: string; sealed: string; created_at: number };
};

export const DATA_KEYS_COLUMN = { table: 'vault_data_keys', column: 'sealed', idColumn: 'purpose' } as const;

/**
 * Returns the random 32-byte data key for `purpose`, creating it on first use (race-safe across
 * replicas). It is stored sealed, so rotating the master key only re-seals it and everything it
 * protects (e.g. the audit chain) stays verifiable.
 */
export async function dataKey(storage: Storage, vault: HearthVault, purpose: string, now: () => number = Date.now): Promise<Buffer> {
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
