import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../core/index.js';
import type { AuditActor, AuditLog } from '../../security/audit/types.js';

/** How long a request waits for the owner (EXEC-1). */
export const APPROVAL_TTL_MS = 30_000;

type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

/** What the owner sees: the whole command, untruncated, and why it needs approval. */
export interface ApprovalView {
  readonly id: string;
  /** Presented back with the decision; binds the decision to this exact command. */
  readonly nonce: string;
  readonly command: string;
  /** sha256 of the command, hex; shown so a bot button can carry it. */
  readonly commandHash: string;
  readonly reasons: readonly string[];
  readonly familiarId: string;
  readonly userId: string;
  readonly conversationId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly status: ApprovalStatus;
}

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

interface ApprovalDecisionInput {
  readonly id: string;
  readonly nonce: string;
  readonly approve: boolean;
  /** When given (dashboard, bot button), must hash to the pending command. */
  readonly commandHash?: string | undefined;
  readonly actor: AuditActor;
}

/** Pending shell approvals: created by the tool, decided only by an authenticated owner. */
export interface Approvals {
  request(input: ApprovalRequestInput, signal?: AbortSignal): { view: ApprovalView; outcome: Promise<ApprovalOutcome> };
  /** Pending requests, oldest first. */
  pending(): ApprovalView[];
  decide(input: ApprovalDecisionInput): Promise<ApprovalView>;
  /** Channels subscribe to offer a bot button; returns an unsubscribe function. */
  onRequest(listener: (view: ApprovalView) => void): () => void;
  /** Cancels every pending request (shutdown). */
  close(): void;
}

interface Entry {
  view: ApprovalView;
  settle(outcome: ApprovalOutcome): void;
  timer: NodeJS.Timeout;
}

export const hashCommand = (command: string): string => createHash('sha256').update(command, 'utf8').digest('hex');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** In-memory approvals: they live 30 s, so a restart simply expires them (nothing runs). */
export function createApprovals(options: { audit: AuditLog; now?: () => number; ttlMs?: number }): Approvals {
  const { audit } = options;
  const now = options.now ?? Date.now;
  const ttl = options.ttlMs ?? APPROVAL_TTL_MS;
  const entries = new Map<string, Entry>();
  const listeners = new Set<(view: ApprovalView) => void>();

  const finish = (entry: Entry, outcome: ApprovalOutcome) => {
    clearTimeout(entry.timer);
    entries.delete(entry.view.id);
    entry.view = { ...entry.view, status: outcome.status };
    entry.settle(outcome);
  };

  return {
    request(input, signal) {
      const createdAt = now();
      let settle!: (o: ApprovalOutcome) => void;
      const outcome = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
      const view: ApprovalView = {
        id: randomUUID(),
        nonce: randomBytes(18).toString('base64url'),
        command: input.command,
        commandHash: hashCommand(input.command),
        reasons: [...input.reasons],
        familiarId: input.familiarId,
        userId: input.userId,
        conversationId: input.conversationId,
        createdAt,
        expiresAt: createdAt + ttl,
        status: 'pending',
      };
      const entry: Entry = {
        view,
        settle,
        timer: setTimeout(() => {
          finish(entry, { status: 'expired' });
          void audit
            .record({
              actor: { type: 'system' },
              action: 'shell.approval.expired',
              target: view.id,
              outcome: 'denied',
              details: { commandHash: view.commandHash },
            })
            .catch(() => undefined);
        }, ttl),
      };
      entry.timer.unref();
      entries.set(view.id, entry);
      signal?.addEventListener('abort', () => entries.get(view.id) === entry && finish(entry, { status: 'cancelled' }), { once: true });
      for (const l of listeners) {
        try {
          l(view);
        } catch {
          /* a failing notifier must not block the request */
        }
      }
      return { view, outcome };
    },
    pending: () => [...entries.values()].map((e) => e.view).filter((v) => v.expiresAt > now()),
    async decide(input) {
      const entry = entries.get(input.id);
      if (!entry) throw new AppError('NOT_FOUND', 'Approval request not found or no longer pending');
      const { view } = entry;
      const fail = async (code: 'FORBIDDEN' | 'CONFLICT' | 'GONE', message: string, reason: string) => {
        await audit.record({
          actor: input.actor,
          action: 'shell.approval.rejected',
          target: view.id,
          outcome: 'denied',
          details: { reason },
        });
        throw new AppError(code, message);
      };
      if (!sameSecret(input.nonce, view.nonce))
        return fail('FORBIDDEN', 'The approval nonce does not match this request', 'nonce mismatch');
      if (input.commandHash !== undefined && !sameSecret(input.commandHash, view.commandHash))
        return fail('CONFLICT', 'The approval is for a different command', 'command mismatch');
      if (now() >= view.expiresAt) {
        finish(entry, { status: 'expired' });
        return fail('GONE', 'The approval request has expired', 'expired');
      }
      await audit.record({
        actor: input.actor,
        action: input.approve ? 'shell.approval.granted' : 'shell.approval.refused',
        target: view.id,
        outcome: 'success',
        details: { commandHash: view.commandHash, familiarId: view.familiarId },
      });
      if (entries.get(view.id) !== entry) throw new AppError('CONFLICT', 'The approval request was already decided');
      finish(entry, input.approve ? { status: 'approved', command: view.command } : { status: 'denied' });
      return entry.view;
    },
    onRequest(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      for (const entry of [...entries.values()]) finish(entry, { status: 'cancelled' });
    },
  };
}
