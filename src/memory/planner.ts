import { sql, type RawBuilder } from 'kysely';
import type { Storage } from '../storage/index.js';

/**
 * A column for a check that must not drive the SQLite plan. Lookups by primary key also check the
 * owner (DATA-4); left alone, SQLite may walk the owner index instead, which for a person with
 * 100,000 memories costs tens of milliseconds. A unary plus keeps the check and drops the index.
 */
export function checkOnly(dialect: Storage['dialect'], column: string): RawBuilder<unknown> {
  return dialect === 'sqlite' ? sql`+${sql.ref(column)}` : sql`${sql.ref(column)}`;
}
