import type { Migration, Storage } from '../../storage/index.js';
import { columnTypes } from '../../storage/index.js';
import { parseDestinations, type Destination } from './network.js';
import { checkRootedWorkspaces, type Workspace, type WorkspaceEntry } from './workspaces.js';

interface ShellFamiliarSandboxTable {
  familiar_id: string;
  /** JSON array of { name, path, writable }. */
  workspaces: string;
  /** JSON array of "host:port". */
  network: string;
  updated_by: string;
  updated_at: number;
}
type Tables = { shell_familiar_sandbox: ShellFamiliarSandboxTable };

/** What an admin set for one familiar's sandbox in the dashboard (EXEC-1): workspaces and network destinations. */
interface FamiliarSandboxSettings {
  readonly workspaces: readonly { readonly name: string; readonly path: string; readonly writable: boolean }[];
  /** `host:port` entries reached through Hearth's egress proxy; empty: no network. */
  readonly network: readonly string[];
  readonly updatedBy: string | null;
  readonly updatedAt: number | null;
}

/** The settings as the sandbox uses them, checked: real host paths and parsed destinations. */
export interface CheckedSandboxSettings {
  readonly workspaces: Workspace[];
  readonly network: Destination[];
}

export interface FamiliarSandboxStore {
  get(familiarId: string): Promise<FamiliarSandboxSettings>;
  set(
    familiarId: string,
    settings: { workspaces: readonly WorkspaceEntry[]; network: readonly string[] },
    byUserId: string,
  ): Promise<FamiliarSandboxSettings>;
  remove(familiarId: string): Promise<boolean>;
}

const EMPTY: FamiliarSandboxSettings = { workspaces: [], network: [], updatedBy: null, updatedAt: null };

export const familiarSandboxMigrations: readonly Migration[] = [
  {
    // per-familiar workspaces and network allowlist, set in the dashboard (#16)
    name: '1210_shell_familiar_sandbox',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('shell_familiar_sandbox')
        .addColumn('familiar_id', 'text', (c) => c.primaryKey())
        .addColumn('workspaces', 'text', (c) => c.notNull())
        .addColumn('network', 'text', (c) => c.notNull())
        .addColumn('updated_by', 'text', (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('shell_familiar_sandbox').execute();
    },
  },
];

/**
 * Checks settings before they are saved and before every run: the workspaces against the workspace
 * root, the destinations' syntax. Throws WorkspaceRefusedError or DestinationError with the reason.
 */
export function checkSandboxSettings(
  settings: { workspaces: readonly WorkspaceEntry[]; network: readonly string[] },
  protect: { root: string; dataDir: string; extra?: readonly string[] },
): CheckedSandboxSettings {
  return { workspaces: checkRootedWorkspaces(settings.workspaces, protect), network: parseDestinations(settings.network) };
}

/** Repository over `shell_familiar_sandbox` (SQLite and PostgreSQL); no row = no workspaces, no network. */
export function createFamiliarSandboxStore(storage: Storage, now: () => number = Date.now): FamiliarSandboxStore {
  const db = storage.db.withTables<Tables>();
  const get = async (familiarId: string): Promise<FamiliarSandboxSettings> => {
    const r = await db.selectFrom('shell_familiar_sandbox').selectAll().where('familiar_id', '=', familiarId).executeTakeFirst();
    if (!r) return EMPTY;
    return {
      workspaces: JSON.parse(r.workspaces) as FamiliarSandboxSettings['workspaces'],
      network: JSON.parse(r.network) as string[],
      updatedBy: r.updated_by,
      updatedAt: Number(r.updated_at),
    };
  };
  return {
    get,
    async set(familiarId, settings, byUserId) {
      const values = {
        workspaces: JSON.stringify(settings.workspaces.map((w) => ({ name: w.name, path: w.path, writable: w.writable === true }))),
        network: JSON.stringify(settings.network),
        updated_by: byUserId,
        updated_at: now(),
      };
      if (settings.workspaces.length === 0 && settings.network.length === 0) {
        await db.deleteFrom('shell_familiar_sandbox').where('familiar_id', '=', familiarId).execute();
        return EMPTY;
      }
      await db
        .insertInto('shell_familiar_sandbox')
        .values({ familiar_id: familiarId, ...values })
        .onConflict((oc) => oc.column('familiar_id').doUpdateSet(values))
        .execute();
      return get(familiarId);
    },
    async remove(familiarId) {
      const r = await db.deleteFrom('shell_familiar_sandbox').where('familiar_id', '=', familiarId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
  };
}
