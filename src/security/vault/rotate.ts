import { sql, type Kysely } from 'kysely';
import type { Storage } from '../../storage/index.js';
import type { HearthVault } from './types.js';

export interface RotationReport {
  /** Values re-sealed under the current key, per `table.column`. */
  readonly resealed: Record<string, number>;
  /** Values already under the current key. */
  readonly current: number;
}

/**
 * Re-encrypts every value of every registered sealed column under the current master key, in
 * one transaction (DATA-1): either all values move to the new key or none do. Values under
 * neither key make the whole rotation fail with the VaultError naming the key id.
 */
export async function rotateKeys(storage: Storage, vault: HearthVault): Promise<RotationReport> {
  const resealed: Record<string, number> = {};
  let current = 0;
  await storage.db.transaction().execute(async (trx) => {
    const db = trx as unknown as Kysely<Record<string, Record<string, unknown>>>;
    for (const col of vault.sealedColumns()) {
      const label = `${col.table}.${col.column}`;
      resealed[label] = 0;
      const rows = await sql<{
        id: unknown;
        value: string | null;
      }>`select ${sql.ref(col.idColumn)} as id, ${sql.ref(col.column)} as value from ${sql.table(col.table)} where ${sql.ref(col.column)} is not null`.execute(
        db,
      );
      for (const row of rows.rows) {
        if (row.value === null || row.value === '') continue;
        if (vault.keyIdOf(row.value) === vault.keyId) {
          current++;
          continue;
        }
        const location = { table: col.table, column: col.column, id: String(row.id) };
        const next = vault.seal(location, vault.open(location, row.value));
        await sql`update ${sql.table(col.table)} set ${sql.ref(col.column)} = ${next} where ${sql.ref(col.idColumn)} = ${row.id}`.execute(
          db,
        );
        resealed[label]++;
      }
    }
  });
  return { resealed, current };
}
