import type { Command } from '../basics.js';

/**
 * One `hearth` subcommand as `hearth --help` lists it. Its module (and whatever that imports:
 * the database, Fastify, every concern) loads only when the command runs, so the listing and an
 * unknown command answer at once. The summary here is the one `hearth --help` prints; keep it
 * equal to the command's own (test/cli/registry.test.ts checks).
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

/** Every `hearth` subcommand, in the order `hearth --help` lists them. Add new ones here. */
export const commands: readonly CommandEntry[] = [
  { name: 'start', summary: 'Start the Hearth server', load: async () => (await import('./start.js')).startCommand },
  {
    name: 'doctor',
    summary: 'Check the environment, data directory and database, and say how to fix problems',
    load: async () => (await import('./doctor.js')).doctorCommand,
  },
  { name: 'migrate', summary: 'Show or apply database migrations', load: async () => (await import('./migrate.js')).migrateCommand },
  {
    name: 'security',
    summary: 'Audit this installation (configuration, permissions, git status, advisories) or a live one (--live URL)',
    load: async () => (await import('./security.js')).securityCommand,
  },
  { name: 'users', summary: 'Add or list people (password on stdin)', load: async () => (await import('./users.js')).usersCommand },
  {
    name: 'setup-link',
    summary: 'Print a new one-time setup link while no owner exists',
    load: async () => (await import('./setup-link.js')).setupLinkCommand,
  },
  {
    name: 'keys',
    summary: 'API keys (create, revoke) and key rotation',
    load: async () => {
      const [{ createKeysCommand }, { keysRotate }] = await Promise.all([import('./keys.js'), import('./keys-rotate.js')]);
      return createKeysCommand({ rotate: keysRotate });
    },
  },
  {
    name: 'budgets',
    summary: 'Set, list or show budgets (tokens, money, tool calls) and model prices',
    load: async () => (await import('./budgets.js')).budgetsCommand,
  },
  { name: 'audit', summary: 'Verify the audit log chain', load: async () => (await import('./audit.js')).auditCommand },
  {
    name: 'webhooks',
    summary: 'Create, list and remove signed-webhook secrets',
    load: async () => (await import('./webhooks.js')).webhooksCommand,
  },
  {
    name: 'backup',
    summary: 'Write an encrypted snapshot of the database and the data directory to FILE',
    load: async () => (await import('./backup.js')).backupCommand,
  },
  {
    name: 'restore',
    summary: 'Restore the database and the data directory from an encrypted backup FILE',
    load: async () => (await import('./backup.js')).restoreCommand,
  },
  {
    name: 'db',
    summary: 'Encrypt the database: the SQLite file in place (stop Hearth first), or memory text on PostgreSQL',
    load: async () => (await import('./db.js')).dbCommand,
  },
  {
    name: 'shell',
    summary: 'Check shell commands against the shell tool policy',
    load: async () => (await import('./shell.js')).shellCommand,
  },
  {
    name: 'approvals',
    summary: 'List, approve or deny shell commands waiting for the owner',
    load: async () => (await import('./approvals.js')).approvalsCommand,
  },
  {
    name: 'pairings',
    summary: 'List, approve or deny chat-channel pairing requests',
    load: async () => (await import('./pairings.js')).pairingsCommand,
  },
];
