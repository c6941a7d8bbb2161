import type { PersonData } from '../../core/index.js';
import type { Migration, Storage } from '../../storage/index.js';
import { columnTypes } from '../../storage/index.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** One shell approval request as stored: every replica reads and decides the same rows (EXEC-1). */
export interface ApprovalRow {
  id: string;
  /** Presented to approve (web, CLI, a bot's Approve button). */
  nonce: string;
  /** Carried by a bot's Deny button, so a button's data is a nonce and nothing else. */
  deny_nonce: string;
  familiar_id: string;
  /** The person whose turn asked for the command. */
  user_id: string;
  conversation_id: string;
  request_id: string | null;
  /** The exact command text, whole. */
  command: string;
  command_hash: string;
  /** JSON array of the policy's reasons. */
  reasons: string;
  status: ApprovalStatus;
  created_at: number;
  expires_at: number;
  /** Last heartbeat of the process waiting for the decision; a stale one means the waiter is gone. */
  alive_at: number;
  decided_at: number | null;
  /** Who decided (`user:ID`, `telegram:ID`, `terminal`, `system`). */
  decided_by: string | null;
  /** 1 once a replica with chat bots has offered the buttons (offered once across replicas). */
  offered: number;
}
type ApprovalTables = { shell_approvals: ApprovalRow };

export const approvalMigrations: readonly Migration[] = [
  {
    name: '1016_shell_approvals',
    async up(db, dialect) {
      const t = columnTypes(dialect);
      await db.schema
        .createTable('shell_approvals')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('nonce', 'text', (c) => c.notNull().unique())
        .addColumn('deny_nonce', 'text', (c) => c.notNull().unique())
        .addColumn('familiar_id', 'text', (c) => c.notNull())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('conversation_id', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text')
        .addColumn('command', 'text', (c) => c.notNull())
        .addColumn('command_hash', 'text', (c) => c.notNull())
        .addColumn('reasons', t.json, (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', t.bigint, (c) => c.notNull())
        .addColumn('expires_at', t.bigint, (c) => c.notNull())
        .addColumn('alive_at', t.bigint, (c) => c.notNull())
        .addColumn('decided_at', t.bigint)
        .addColumn('decided_by', 'text')
        .addColumn('offered', t.bool, (c) => c.notNull().defaultTo(0))
        .execute();
      await db.schema.createIndex('shell_approvals_status').on('shell_approvals').columns(['status', 'created_at']).execute();
    },
    async down(db) {
      await db.schema.dropTable('shell_approvals').execute();
    },
  },
];

export const approvalTables = (storage: Storage) => storage.db.withTables<ApprovalTables>();

/**
 * A person's shell approval requests (the commands their turns asked to run) are theirs: in their
 * export, removed with them, moved with them when a channel person is merged (DATA-5). Deleting a
 * pending request cancels it for the turn that waits on it. Who decided is another person's id and
 * stays out of the export.
 */
export function shellApprovalPersonData(storage: Storage): PersonData {
  const db = approvalTables(storage);
  return {
    part: 'shell approvals',
    async export(userId) {
      const rows = await db.selectFrom('shell_approvals').selectAll().where('user_id', '=', userId).orderBy('created_at').execute();
      return {
        shellApprovals: rows.map((r) => ({
          familiarId: r.familiar_id,
          conversationId: r.conversation_id,
          command: r.command,
          status: r.status,
          createdAt: Number(r.created_at),
          expiresAt: Number(r.expires_at),
          decidedAt: r.decided_at === null ? null : Number(r.decided_at),
        })),
      };
    },
    async erase(userId) {
      const r = await db.deleteFrom('shell_approvals').where('user_id', '=', userId).executeTakeFirst();
      return { shellApprovals: Number(r.numDeletedRows) };
    },
    async reassign(from, to) {
      const r = await db.updateTable('shell_approvals').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
      return { shellApprovals: Number(r.numUpdatedRows) };
    },
    async prune(before) {
      const r = await db.deleteFrom('shell_approvals').where('created_at', '<', before).where('status', '!=', 'pending').executeTakeFirst();
      return { shellApprovals: Number(r.numDeletedRows) };
    },
  };
}
