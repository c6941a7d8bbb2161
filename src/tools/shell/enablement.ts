import type { Migration, Storage } from '../../storage/index.js';
import { columnTypes } from '../../storage/index.js';

interface ShellFamiliarsTable {
  familiar_id: string;
  enabled_by: string;
  enabled_at: number;
}
type Tables = { shell_familiars: ShellFamiliarsTable };

/** Which familiars the owner switched the shell on for (off by default: no row, no shell). */
export interface ShellEnablement {
  isEnabled(familiarId: string): Promise<boolean>;
  enable(familiarId: string, byUserId: string): Promise<void>;
  disable(familiarId: string): Promise<boolean>;
  list(): Promise<Array<{ familiarId: string; enabledBy: string; enabledAt: number }>>;
}

export const shellMigrations: readonly Migration[] = [
  {
    name: '0600_shell_familiars',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('shell_familiars')
        .addColumn('familiar_id', 'text', (c) => c.primaryKey())
        .addColumn('enabled_by', 'text', (c) => c.notNull())
        .addColumn('enabled_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('shell_familiars').execute();
    },
  },
];

/** Repository over `shell_familiars` (SQLite and PostgreSQL). */
export function createShellEnablement(storage: Storage, now: () => number = Date.now): ShellEnablement {
  const db = storage.db.withTables<Tables>();
  return {
    async isEnabled(familiarId) {
      const row = await db.selectFrom('shell_familiars').select('familiar_id').where('familiar_id', '=', familiarId).executeTakeFirst();
      return row !== undefined;
    },
    async enable(familiarId, byUserId) {
      await db
        .insertInto('shell_familiars')
        .values({ familiar_id: familiarId, enabled_by: byUserId, enabled_at: now() })
        .onConflict((oc) => oc.column('familiar_id').doUpdateSet({ enabled_by: byUserId, enabled_at: now() }))
        .execute();
    },
    async disable(familiarId) {
      const r = await db.deleteFrom('shell_familiars').where('familiar_id', '=', familiarId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async list() {
      const rows = await db.selectFrom('shell_familiars').selectAll().orderBy('familiar_id').execute();
      return rows.map((r) => ({ familiarId: r.familiar_id, enabledBy: r.enabled_by, enabledAt: Number(r.enabled_at) }));
    },
  };
}
