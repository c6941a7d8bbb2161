import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../core/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/types.js';
import type { Storage } from '../../storage/index.js';
import { approvalTables, type ApprovalRow, type ApprovalStatus } from './approval-store.js';

/** How long a request waits for the owner by default (EXEC-1); HEARTH_SHELL_APPROVAL_TIMEOUT_MS changes it. */
const APPROVAL_TTL_MS = 30_000;
/** How often a waiting process looks for a decision made elsewhere and says it is still waiting. */
const TICK_MS = 500;
/** A request whose waiter has not been heard from this long is expired: its process is gone. */
const WAITER_STALE_MS = 5_000;

/** What the owner sees: the whole command, untruncated, and why it needs approval. */
export interface ApprovalView {
  readonly id: string;
  /** Presented back with the decision; binds the decision to this exact request. */
  readonly nonce: string;
  /** The Deny button's nonce (bots); the web and CLI deny with `nonce` and decision deny. */
  readonly denyNonce: string;
  readonly command: string;
  /** sha256 of the command, hex. */
  readonly commandHash: string;
  readonly reasons: readonly string[];
  readonly familiarId: string;
  readonly userId: string;
  readonly conversationId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly status: ApprovalStatus;
  readonly decidedBy: string | null;
}

/** What the person who asked sees of their own request: no nonce. */
type RequesterView = Omit<ApprovalView, 'nonce' | 'denyNonce'>;

interface ApprovalRequestInput {
  readonly command: string;
  readonly reasons: readonly string[];
  readonly familiarId: string;
  readonly userId: string;
  readonly conversationId: string;
  readonly requestId?: string | undefined;
}

/** The outcome the waiting tool sees; `command` is the approved text, the only text it may run. */
type ApprovalOutcome =
  { readonly status: 'approved'; readonly command: string } | { readonly status: Exclude<ApprovalStatus, 'pending' | 'approved'> };

/**
 * Who decides. A person must hold the owner role (checked here, for every path: web, bots);
 * `terminal` is the operator at `hearth approvals` on the machine itself.
 */
export type Decider = { readonly kind: 'person'; readonly userId: string; readonly actor: AuditActor } | { readonly kind: 'terminal' };

interface ApprovalDecisionInput {
  /** The request (web, CLI); a bot button gives only its nonce. */
  readonly id?: string | undefined;
  readonly nonce: string;
  /** With `id`: approve or deny. Without: the nonce says which (Approve or Deny button), unless the terminal says deny. */
  readonly approve?: boolean | undefined;
  /** When given, must hash-match the pending command. */
  readonly commandHash?: string | undefined;
  readonly decider: Decider;
}

/** Shell approval requests in the database: created by the tool, decided only by an owner, on any replica. */
export interface Approvals {
  request(input: ApprovalRequestInput, signal?: AbortSignal): Promise<{ view: ApprovalView; outcome: Promise<ApprovalOutcome> }>;
  /** Pending, unexpired requests, oldest first. */
  pending(): Promise<ApprovalView[]>;
  /** The caller's own requests in one conversation that are still pending (the chat's card). */
  waitingFor(userId: string, conversationId: string): Promise<RequesterView[]>;
  /** Requests by status, newest first (CLI listing). */
  recent(limit?: number): Promise<ApprovalView[]>;
  decide(input: ApprovalDecisionInput): Promise<ApprovalView>;
  /** Called once per new request on this replica (bots offer their buttons); returns an unsubscribe function. */
  onRequest(listener: (view: ApprovalView) => void): () => void;
  /** Claims the right to offer buttons for a request: true for exactly one replica. */
  claimOffer(id: string): Promise<boolean>;
  /** Called whenever the pending set may have changed, here or on another replica (SSE); `onClose` at shutdown. */
  watch(listener: () => void, onClose?: () => void): () => void;
  /** Expires requests past their time or whose waiter is gone (audited); returns how many. */
  sweep(): Promise<number>;
  /** Expires this process's open requests (audited) and stops the timers. */
  close(): Promise<void>;
}

export const hashCommand = (command: string): string => createHash('sha256').update(command, 'utf8').digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function toView(r: ApprovalRow): ApprovalView {
  let reasons: string[] = [];
  try {
    reasons = JSON.parse(r.reasons) as string[];
  } catch {
    /* a damaged reasons column shows none */
  }
  return {
    id: r.id,
    nonce: r.nonce,
    denyNonce: r.deny_nonce,
    command: r.command,
    commandHash: r.command_hash,
    reasons,
    familiarId: r.familiar_id,
    userId: r.user_id,
    conversationId: r.conversation_id,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    status: r.status,
    decidedBy: r.decided_by,
  };
}

const requesterView = ({ nonce: _n, denyNonce: _d, ...rest }: ApprovalView): RequesterView => rest;

interface Waiter {
  readonly id: string;
  settle(outcome: ApprovalOutcome): void;
}

interface ApprovalsOptions {
  readonly storage: Storage;
  readonly audit: AuditLog;
  /** Whether a Hearth person holds the owner role (the identity concern answers). */
  readonly isOwner: (userId: string) => Promise<boolean>;
  readonly now?: () => number;
  readonly ttlMs?: number;
}

/** Builds the approvals service over `shell_approvals` (SQLite and PostgreSQL). */
export function createApprovals(options: ApprovalsOptions): Approvals {
  const { audit } = options;
  const db = approvalTables(options.storage);
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? APPROVAL_TTL_MS;
  const waiters = new Map<string, Waiter>();
  const requestListeners = new Set<(view: ApprovalView) => void>();
  const watchers = new Set<() => void>();
  const closeListeners = new Map<() => void, () => void>();
  let timer: NodeJS.Timeout | undefined;
  let ticking = false;
  let fingerprint = '';
  let closed = false;

  const changed = () => {
    for (const w of watchers) {
      try {
        w();
      } catch {
        /* a broken watcher must not stop the others */
      }
    }
  };

  const byId = async (id: string) => db.selectFrom('shell_approvals').selectAll().where('id', '=', id).executeTakeFirst();

  /** Moves a pending row to `status` only if it is still pending; true when this call did it. */
  const transition = async (id: string, status: ApprovalStatus, decidedBy: string) => {
    const r = await db
      .updateTable('shell_approvals')
      .set({ status, decided_at: now(), decided_by: decidedBy })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  };

  const expire = async (row: ApprovalRow, reason: 'timeout' | 'waiter gone' | 'shutdown' | 'cancelled') => {
    const status: ApprovalStatus = reason === 'cancelled' ? 'cancelled' : 'expired';
    if (!(await transition(row.id, status, 'system'))) return false;
    await audit
      .record({
        actor: { type: 'system' },
        action: 'shell.approval.expired',
        target: row.id,
        outcome: 'denied',
        details: { commandHash: row.command_hash, familiarId: row.familiar_id, reason, status },
      })
      .catch(() => undefined);
    return true;
  };

  const settleLocal = (row: ApprovalRow | undefined, id: string) => {
    const waiter = waiters.get(id);
    if (!waiter) return;
    if (!row) {
      waiters.delete(id);
      return waiter.settle({ status: 'cancelled' });
    }
    if (row.status === 'pending') return;
    waiters.delete(id);
    waiter.settle(row.status === 'approved' ? { status: 'approved', command: row.command } : { status: row.status });
  };

  const sweep = async (): Promise<number> => {
    const t = now();
    const stale = await db
      .selectFrom('shell_approvals')
      .selectAll()
      .where('status', '=', 'pending')
      .where((eb) => eb.or([eb('expires_at', '<=', t), eb('alive_at', '<', t - WAITER_STALE_MS)]))
      .execute();
    let n = 0;
    for (const row of stale) {
      if (waiters.has(row.id) && Number(row.expires_at) > t) continue; // ours and alive: the heartbeat is just late
      if (await expire(row, Number(row.expires_at) <= t ? 'timeout' : 'waiter gone')) n++;
      settleLocal(await byId(row.id), row.id);
    }
    return n;
  };

  /** One tick: heartbeats for our waiters, decisions made elsewhere, expiry, and change detection for watchers. */
  const tick = async () => {
    if (ticking) return;
    ticking = true;
    try {
      const t = now();
      for (const id of [...waiters.keys()]) {
        await db.updateTable('shell_approvals').set({ alive_at: t }).where('id', '=', id).where('status', '=', 'pending').execute();
        settleLocal(await byId(id), id);
      }
      await sweep();
      if (watchers.size > 0) {
        const rows = await db.selectFrom('shell_approvals').select(['id', 'status']).where('status', '=', 'pending').execute();
        const next = rows
          .map((r) => r.id)
          .sort()
          .join(',');
        if (next !== fingerprint) {
          fingerprint = next;
          changed();
        }
      }
    } catch {
      /* the database may be closing; the next tick tries again */
    } finally {
      ticking = false;
      schedule();
    }
  };

  const schedule = () => {
    if (closed || timer || (waiters.size === 0 && watchers.size === 0)) return;
    timer = setTimeout(() => {
      timer = undefined;
      void tick();
    }, TICK_MS);
    timer.unref();
  };

  const reject = async (
    actor: AuditActor,
    target: string | undefined,
    reason: string,
    code: 'FORBIDDEN' | 'CONFLICT' | 'GONE' | 'NOT_FOUND',
    message: string,
  ) => {
    await audit.record({
      actor,
      action: 'shell.approval.rejected',
      ...(target ? { target } : {}),
      outcome: 'denied',
      details: { reason },
    });
    throw new AppError(code, message);
  };

  return {
    async request(input, signal) {
      const createdAt = now();
      const row: ApprovalRow = {
        id: randomUUID(),
        nonce: randomBytes(18).toString('base64url'),
        deny_nonce: randomBytes(18).toString('base64url'),
        familiar_id: input.familiarId,
        user_id: input.userId,
        conversation_id: input.conversationId,
        request_id: input.requestId ?? null,
        command: input.command,
        command_hash: hashCommand(input.command),
        reasons: JSON.stringify(input.reasons),
        status: 'pending',
        created_at: createdAt,
        expires_at: createdAt + ttl,
        alive_at: createdAt,
        decided_at: null,
        decided_by: null,
        offered: 0,
      };
      await db.insertInto('shell_approvals').values(row).execute();
      const view = toView(row);
      const outcome = new Promise<ApprovalOutcome>((resolve) => {
        waiters.set(row.id, { id: row.id, settle: resolve });
      });
      // The wait ends with the request's expiry even if no tick runs (a stalled database).
      const deadline = setTimeout(
        () => void expire(row, 'timeout').then(async () => settleLocal(await byId(row.id), row.id)),
        ttl + TICK_MS,
      );
      deadline.unref();
      void outcome.finally(() => clearTimeout(deadline));
      signal?.addEventListener(
        'abort',
        () =>
          void expire(row, 'cancelled')
            .then(async () => settleLocal(await byId(row.id), row.id))
            .catch(() => undefined),
        { once: true },
      );
      schedule();
      for (const l of requestListeners) {
        try {
          l(view);
        } catch {
          /* a failing notifier must not block the request */
        }
      }
      changed();
      return { view, outcome };
    },

    async pending() {
      const t = now();
      const rows = await db
        .selectFrom('shell_approvals')
        .selectAll()
        .where('status', '=', 'pending')
        .where('expires_at', '>', t)
        .where('alive_at', '>=', t - WAITER_STALE_MS)
        .orderBy('created_at')
        .execute();
      return rows.map(toView);
    },

    async waitingFor(userId, conversationId) {
      return (await this.pending()).filter((v) => v.userId === userId && v.conversationId === conversationId).map(requesterView);
    },

    async recent(limit = 50) {
      const rows = await db.selectFrom('shell_approvals').selectAll().orderBy('created_at', 'desc').limit(limit).execute();
      return rows.map(toView);
    },

    async decide(input) {
      const actor: AuditActor = input.decider.kind === 'person' ? input.decider.actor : { type: 'system' };
      const row = input.id
        ? await byId(input.id)
        : await db
            .selectFrom('shell_approvals')
            .selectAll()
            .where((eb) => eb.or([eb('nonce', '=', input.nonce), eb('deny_nonce', '=', input.nonce)]))
            .executeTakeFirst();
      if (!row) return reject(actor, input.id, input.id ? 'unknown request' : 'unknown nonce', 'NOT_FOUND', 'Approval request not found');
      let approve: boolean;
      if (input.id) {
        if (!sameSecret(input.nonce, row.nonce))
          return reject(actor, row.id, 'nonce mismatch', 'FORBIDDEN', 'The approval nonce does not match this request');
        approve = input.approve ?? false;
      } else {
        // a bot's button: the nonce says which; the terminal may say deny with the approve nonce, never the reverse
        const isApprove = sameSecret(input.nonce, row.nonce);
        approve = input.approve === false ? false : isApprove;
        if (input.approve === true && !isApprove)
          return reject(actor, row.id, 'deny nonce used to approve', 'FORBIDDEN', 'That nonce can only deny this request');
      }
      if (input.decider.kind === 'person' && !(await options.isOwner(input.decider.userId)))
        return reject(actor, row.id, 'not the owner', 'FORBIDDEN', 'Only the owner can decide shell commands');
      if (input.commandHash !== undefined && !sameSecret(input.commandHash, row.command_hash))
        return reject(actor, row.id, 'command mismatch', 'CONFLICT', 'The approval is for a different command');
      if (row.status !== 'pending')
        return reject(actor, row.id, `already ${row.status}`, 'CONFLICT', `The request was already ${row.status}`);
      const t = now();
      if (t >= Number(row.expires_at) || Number(row.alive_at) < t - WAITER_STALE_MS) {
        await expire(row, t >= Number(row.expires_at) ? 'timeout' : 'waiter gone');
        settleLocal(await byId(row.id), row.id);
        return reject(actor, row.id, 'expired', 'GONE', 'The approval request has expired');
      }
      const decidedBy =
        input.decider.kind === 'terminal'
          ? 'terminal'
          : actor.type === 'channel'
            ? `${actor.channel}:${actor.externalId}`
            : `user:${input.decider.userId}`;
      if (!(await transition(row.id, approve ? 'approved' : 'denied', decidedBy)))
        return reject(actor, row.id, 'already decided', 'CONFLICT', 'The request was already decided');
      await audit.record({
        actor,
        action: approve ? 'shell.approval.granted' : 'shell.approval.refused',
        target: row.id,
        outcome: 'success',
        details: { commandHash: row.command_hash, familiarId: row.familiar_id, via: decidedBy.split(':')[0] },
      });
      const decided = await byId(row.id);
      settleLocal(decided, row.id);
      changed();
      return toView(decided ?? row);
    },

    onRequest(listener) {
      requestListeners.add(listener);
      return () => void requestListeners.delete(listener);
    },

    async claimOffer(id) {
      const r = await db
        .updateTable('shell_approvals')
        .set({ offered: 1 })
        .where('id', '=', id)
        .where('offered', '=', 0)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    watch(listener, onClose) {
      watchers.add(listener);
      if (onClose) closeListeners.set(listener, onClose);
      schedule();
      return () => {
        watchers.delete(listener);
        closeListeners.delete(listener);
      };
    },

    sweep,

    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      for (const id of [...waiters.keys()]) {
        const row = await byId(id).catch(() => undefined);
        if (row) await expire(row, 'shutdown').catch(() => false);
        settleLocal(row ? { ...row, status: row.status === 'pending' ? 'expired' : row.status } : undefined, id);
      }
      watchers.clear();
      // open streams end, so a shutdown does not wait for them
      for (const onClose of closeListeners.values()) onClose();
      closeListeners.clear();
    },
  };
}
