import type { Kysely } from 'kysely';

export type Dialect = 'sqlite' | 'postgres';

/** One schema change. Names sort in application order (e.g. `0100_identity`). */
export interface Migration {
  readonly name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- migrations run before typed tables exist
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  down?(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** A column whose values are sealed by the vault; `hearth keys rotate` re-encrypts each (DATA-1). */
export interface SealedColumn {
  readonly table: string;
  readonly column: string;
  readonly idColumn: string;
}
