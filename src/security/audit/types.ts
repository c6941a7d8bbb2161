/** Who did something, as established by a verified credential or the system itself. */
export type AuditActor =
  | { readonly type: 'user'; readonly id: string }
  | { readonly type: 'api_key'; readonly id: string; readonly userId: string }
  | { readonly type: 'channel'; readonly channel: string; readonly externalId: string; readonly userId?: string }
  | { readonly type: 'model'; readonly familiarId: string; readonly userId?: string }
  | { readonly type: 'anonymous'; readonly ip?: string }
  | { readonly type: 'system' };

type AuditOutcome = 'success' | 'failure' | 'denied' | 'pending';

/** One security event (LOG-3). Details are redacted before they are stored. */
export interface AuditEvent {
  readonly actor: AuditActor;
  /** Dotted verb, e.g. `auth.login`, `memory.write`, `shell.request`, `channel.unauthorized`. */
  readonly action: string;
  readonly target?: string;
  readonly outcome: AuditOutcome;
  readonly requestId?: string;
  readonly details?: Record<string, unknown>;
}

/** The append-only, hash-chained audit log. Every security event in Hearth goes through it. */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/** One stored entry as read back (GET /api/audit, `hearth audit verify`). */
export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  readonly actor: AuditActor;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  readonly details: Record<string, unknown> | null;
}

export interface AuditQuery {
  /** Exact action, or a prefix ending in `.` or `*` (e.g. `auth.`). */
  readonly action?: string;
  /** The person behind the actor (user id). */
  readonly userId?: string;
  readonly actorType?: AuditActor['type'];
  readonly outcome?: AuditOutcome;
  readonly target?: string;
  readonly since?: number;
  readonly until?: number;
  /** Entries with seq below this (paging, newest first). */
  readonly before?: number;
  readonly limit?: number;
}

export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly fromSeq: number; readonly headSeq: number }
  | { readonly ok: false; readonly seq: number; readonly reason: string; readonly entries: number };

/** The audit log with its read side: listing, chain verification and retention. */
export interface AuditService extends AuditLog {
  list(query?: AuditQuery): Promise<AuditEntry[]>;
  /** Walks the chain from the last signed checkpoint; names the first bad entry (LOG-3). */
  verify(): Promise<AuditVerification>;
  /** Deletes entries older than `before` (ms) behind a signed checkpoint; returns how many. */
  prune(before: number): Promise<number>;
}
