import { sql } from 'kysely';
import type { Storage } from '../storage/index.js';

/**
 * Every table of another concern that holds rows of a person, and the column naming them
 * (DATA-5). Read from their migrations: identity 0100, the turn 0300, channels. A table that does
 * not exist (a concern not installed) is skipped. Order: children before parents.
 */
export const PERSON_TABLES: ReadonlyArray<{ readonly table: string; readonly column: string; readonly export: boolean }> = [
  { table: 'messages', column: 'user_id', export: true },
  { table: 'conversations', column: 'user_id', export: true },
  { table: 'channel_identities', column: 'user_id', export: true },
  { table: 'channel_pairings', column: 'user_id', export: false },
  { table: 'identity_sessions', column: 'user_id', export: false },
  { table: 'identity_api_keys', column: 'user_id', export: false },
  { table: 'identity_jwt_subjects', column: 'user_id', export: false },
  { table: 'identity_tokens', column: 'created_by', export: false },
  { table: 'identity_users', column: 'id', export: false },
];

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Whether a table exists in this database (PostgreSQL: on the search path of this connection). */
export async function tableExists(storage: Storage, table: string): Promise<boolean> {
  if (!NAME.test(table)) return false;
  if (storage.dialect === 'sqlite') {
    const r = await sql<{ n: number }>`select count(*) as n from sqlite_master where type = 'table' and name = ${table}`.execute(storage.db);
    return Number(r.rows[0]?.n ?? 0) > 0;
  }
  const r = await sql<{ t: string | null }>`select to_regclass(${table})::text as t`.execute(storage.db);
  return r.rows[0]?.t != null;
}
