import { createHash, randomBytes } from 'node:crypto';
import type { Storage } from '../../storage/index.js';
import type { AuditLog } from '../audit/index.js';
import type { HearthVault } from '../vault/index.js';
import { maskSecret } from '../vault/index.js';
import type { ReplayCache } from './replay.js';

export const WEBHOOK_SECRETS_COLUMN = { table: 'webhook_secrets', column: 'secret', idColumn: 'name' } as const;
export const WEBHOOK_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** Handles one verified webhook; the payload is the parsed JSON body. Returns what to answer. */
type WebhookHandler = (payload: unknown, context: { name: string; requestId: string }) => Promise<Record<string, unknown>>;

type SecretTables = { webhook_secrets: { name: string; secret: string; created_at: number } };

export interface WebhookService {
  /** Adds a handler under `name` (built-ins: erasure, invalidate). */
  handle(name: string, handler: WebhookHandler): void;
  handler(name: string): WebhookHandler | undefined;
  handlerNames(): string[];
  /** Creates (or replaces) the secret of `name`, stores it sealed and returns it once. */
  createSecret(name: string): Promise<string>;
  removeSecret(name: string): Promise<boolean>;
  /** The secret of `name`, or undefined when none is configured (the webhook is then disabled). */
  secretOf(name: string): Promise<string | undefined>;
  list(): Promise<Array<{ name: string; secret: string; createdAt: number }>>;
  readonly replay: ReplayCache;
}

/** Webhook secrets in the vault, handler registry and replay cache (HOOK-1). */
export function createWebhookService(options: {
  storage: Storage;
  vault: HearthVault;
  audit: AuditLog;
  replay: ReplayCache;
  now?: () => number;
}): WebhookService {
  const { storage, vault, audit, replay } = options;
  const now = options.now ?? Date.now;
  const db = storage.db.withTables<SecretTables>();
  const handlers = new Map<string, WebhookHandler>();
  const location = (name: string) => ({ table: WEBHOOK_SECRETS_COLUMN.table, column: WEBHOOK_SECRETS_COLUMN.column, id: name });

  return {
    replay,
    handle(name, handler) {
      if (!WEBHOOK_NAME.test(name)) throw new Error(`invalid webhook name: ${name}`);
      handlers.set(name, handler);
    },
    handler: (name) => handlers.get(name),
    handlerNames: () => [...handlers.keys()].sort(),
    async createSecret(name) {
      if (!WEBHOOK_NAME.test(name)) throw new Error('webhook names are lowercase letters, digits, - and _ (at most 64)');
      const secret = `whsec_${randomBytes(32).toString('base64url')}`;
      const sealed = vault.seal(location(name), secret);
      await db
        .insertInto('webhook_secrets')
        .values({ name, secret: sealed, created_at: now() })
        .onConflict((oc) => oc.column('name').doUpdateSet({ secret: sealed, created_at: now() }))
        .execute();
      await audit.record({ actor: { type: 'system' }, action: 'webhook.secret_created', target: name, outcome: 'success' });
      return secret;
    },
    async removeSecret(name) {
      const res = await db.deleteFrom('webhook_secrets').where('name', '=', name).executeTakeFirst();
      const removed = Number(res.numDeletedRows) > 0;
      if (removed) await audit.record({ actor: { type: 'system' }, action: 'webhook.secret_removed', target: name, outcome: 'success' });
      return removed;
    },
    async secretOf(name) {
      const row = await db.selectFrom('webhook_secrets').select('secret').where('name', '=', name).executeTakeFirst();
      return row ? vault.open(location(name), row.secret) : undefined;
    },
    async list() {
      const rows = await db.selectFrom('webhook_secrets').selectAll().orderBy('name').execute();
      return rows.map((r) => ({
        name: r.name,
        secret: maskSecret(vault.open(location(r.name), r.secret)),
        createdAt: Number(r.created_at),
      }));
    },
  };
}

/** Replay-cache id of one accepted delivery: the webhook, its timestamp and its signature. */
export function replayId(name: string, timestamp: number, signature: string): string {
  return createHash('sha256').update(`${name}\u0000${timestamp}\u0000${signature}`).digest('hex');
}
