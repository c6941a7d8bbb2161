import { randomUUID } from 'node:crypto';
import type { Vault } from '../../security/vault/types.js';
import { columnTypes, type Migration, type Storage } from '../../storage/index.js';

interface McpServersTable {
  id: string;
  name: string;
  transport: string;
  command: string | null;
  args: string;
  url: string | null;
  secrets_sealed: string | null;
  enabled: number;
  allowed_tools: string;
  timeout_ms: number;
  network: number;
  read_paths: string;
  /** JSON array of "host:port" reached through Hearth's egress proxy (when network is off). */
  network_allow: string;
  created_at: number;
  updated_at: number;
}
type Tables = { mcp_servers: McpServersTable };

export const MCP_SECRETS_COLUMN = { table: 'mcp_servers', column: 'secrets_sealed', idColumn: 'id' } as const;

/** Credentials of one server: environment variables (stdio) and HTTP headers; sealed at rest. */
interface McpSecrets {
  readonly env: Record<string, string>;
  readonly headers: Record<string, string>;
}

/** One operator-configured MCP server (EXEC-2). */
export interface McpServerConfig {
  readonly id: string;
  /** [a-z0-9]{1,24}; tools appear to the model as `mcp_<name>_<tool>`. */
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  readonly command: string | null;
  readonly args: readonly string[];
  readonly url: string | null;
  readonly enabled: boolean;
  /** Tool names the model may call; empty means none. */
  readonly allowedTools: readonly string[];
  readonly timeoutMs: number;
  /** stdio: the sandboxed server may use the network (off unless the operator allows it). */
  readonly network: boolean;
  /** stdio: host paths bound read-only at the same path in the sandbox (the server's own code). */
  readonly readPaths: readonly string[];
  /** stdio, with network off: host:port destinations reached through Hearth's egress proxy. */
  readonly networkAllow: readonly string[];
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface McpServerInput {
  readonly name: string;
  readonly transport: 'stdio' | 'http';
  readonly command?: string | undefined;
  readonly args?: readonly string[] | undefined;
  readonly url?: string | undefined;
  readonly enabled?: boolean | undefined;
  readonly allowedTools?: readonly string[] | undefined;
  readonly timeoutMs?: number | undefined;
  readonly network?: boolean | undefined;
  readonly readPaths?: readonly string[] | undefined;
  readonly networkAllow?: readonly string[] | undefined;
  readonly secrets?: McpSecrets | undefined;
}

export interface McpServerStore {
  list(): Promise<McpServerConfig[]>;
  get(id: string): Promise<McpServerConfig | undefined>;
  create(input: McpServerInput): Promise<McpServerConfig>;
  update(id: string, patch: Partial<Omit<McpServerInput, 'name' | 'transport'>>): Promise<McpServerConfig | undefined>;
  remove(id: string): Promise<boolean>;
  /** Opens the sealed credentials (only the connector calls this). */
  secrets(id: string): Promise<McpSecrets>;
  /** Names of stored credentials with their last four characters, for the dashboard. */
  maskedSecrets(id: string): Promise<{ env: Record<string, string>; headers: Record<string, string> }>;
}

export const mcpMigrations: readonly Migration[] = [
  {
    name: '0600_mcp_servers',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('mcp_servers')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('transport', 'text', (c) => c.notNull())
        .addColumn('command', 'text')
        .addColumn('args', 'text', (c) => c.notNull())
        .addColumn('url', 'text')
        .addColumn('secrets_sealed', 'text')
        .addColumn('enabled', 'integer', (c) => c.notNull())
        .addColumn('allowed_tools', 'text', (c) => c.notNull())
        .addColumn('timeout_ms', t.bigint, (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('updated_at', t.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('mcp_servers').execute();
    },
  },
  {
    // stdio servers run in the shell's sandbox (EXEC-2): network and read-only paths per server
    name: '1011_mcp_sandbox',
    async up(db) {
      await db.schema
        .alterTable('mcp_servers')
        .addColumn('network', 'integer', (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema
        .alterTable('mcp_servers')
        .addColumn('read_paths', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
    async down(db) {
      await db.schema.alterTable('mcp_servers').dropColumn('read_paths').execute();
      await db.schema.alterTable('mcp_servers').dropColumn('network').execute();
    },
  },
  {
    // a stdio server may reach a list of host:port through the shell's egress proxy (#16)
    name: '1211_mcp_network_allow',
    async up(db) {
      await db.schema
        .alterTable('mcp_servers')
        .addColumn('network_allow', 'text', (c) => c.notNull().defaultTo('[]'))
        .execute();
    },
    async down(db) {
      await db.schema.alterTable('mcp_servers').dropColumn('network_allow').execute();
    },
  },
];

const toConfig = (r: McpServersTable): McpServerConfig => ({
  id: r.id,
  name: r.name,
  transport: r.transport === 'http' ? 'http' : 'stdio',
  command: r.command,
  args: JSON.parse(r.args) as string[],
  url: r.url,
  enabled: Number(r.enabled) === 1,
  allowedTools: JSON.parse(r.allowed_tools) as string[],
  timeoutMs: Number(r.timeout_ms),
  network: Number(r.network) === 1,
  readPaths: JSON.parse(r.read_paths) as string[],
  networkAllow: JSON.parse(r.network_allow ?? '[]') as string[],
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

const mask = (v: string) => (v.length <= 4 ? '••••' : `••••${v.slice(-4)}`);

/** Repository over `mcp_servers`; credentials sealed with the vault, bound to the row id (DATA-1). */
export function createMcpServerStore(options: {
  storage: Storage;
  vault: Vault;
  defaultTimeoutMs: number;
  now?: () => number;
}): McpServerStore {
  const db = options.storage.db.withTables<Tables>();
  const now = options.now ?? Date.now;
  const location = (id: string) => ({ table: MCP_SECRETS_COLUMN.table, column: MCP_SECRETS_COLUMN.column, id });
  const seal = (id: string, s: McpSecrets | undefined) =>
    s && (Object.keys(s.env).length || Object.keys(s.headers).length) ? options.vault.seal(location(id), JSON.stringify(s)) : null;
  const get = async (id: string) => {
    const row = await db.selectFrom('mcp_servers').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toConfig(row) : undefined;
  };
  const openSecrets = async (id: string): Promise<McpSecrets> => {
    const row = await db.selectFrom('mcp_servers').select('secrets_sealed').where('id', '=', id).executeTakeFirst();
    if (!row?.secrets_sealed) return { env: {}, headers: {} };
    return JSON.parse(options.vault.open(location(id), row.secrets_sealed)) as McpSecrets;
  };
  return {
    async list() {
      return (await db.selectFrom('mcp_servers').selectAll().orderBy('name').execute()).map(toConfig);
    },
    get,
    async create(input) {
      const id = randomUUID();
      const at = now();
      await db
        .insertInto('mcp_servers')
        .values({
          id,
          name: input.name,
          transport: input.transport,
          command: input.command ?? null,
          args: JSON.stringify(input.args ?? []),
          url: input.url ?? null,
          secrets_sealed: seal(id, input.secrets),
          enabled: input.enabled ? 1 : 0,
          allowed_tools: JSON.stringify(input.allowedTools ?? []),
          timeout_ms: input.timeoutMs ?? options.defaultTimeoutMs,
          network: input.network ? 1 : 0,
          read_paths: JSON.stringify(input.readPaths ?? []),
          network_allow: JSON.stringify(input.networkAllow ?? []),
          created_at: at,
          updated_at: at,
        })
        .execute();
      return (await get(id))!;
    },
    async update(id, patch) {
      const current = await get(id);
      if (!current) return undefined;
      const values: Partial<McpServersTable> = { updated_at: now() };
      if (patch.command !== undefined) values.command = patch.command;
      if (patch.args !== undefined) values.args = JSON.stringify(patch.args);
      if (patch.url !== undefined) values.url = patch.url;
      if (patch.enabled !== undefined) values.enabled = patch.enabled ? 1 : 0;
      if (patch.allowedTools !== undefined) values.allowed_tools = JSON.stringify(patch.allowedTools);
      if (patch.timeoutMs !== undefined) values.timeout_ms = patch.timeoutMs;
      if (patch.network !== undefined) values.network = patch.network ? 1 : 0;
      if (patch.readPaths !== undefined) values.read_paths = JSON.stringify(patch.readPaths);
      if (patch.networkAllow !== undefined) values.network_allow = JSON.stringify(patch.networkAllow);
      if (patch.secrets !== undefined) values.secrets_sealed = seal(id, patch.secrets);
      await db.updateTable('mcp_servers').set(values).where('id', '=', id).execute();
      return get(id);
    },
    async remove(id) {
      const r = await db.deleteFrom('mcp_servers').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    secrets: openSecrets,
    async maskedSecrets(id) {
      const s = await openSecrets(id);
      const m = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, mask(v)]));
      return { env: m(s.env), headers: m(s.headers) };
    },
  };
}
