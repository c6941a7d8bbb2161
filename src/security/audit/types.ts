/** Who did something, as established by a verified credential or the system itself. */
export type AuditActor =
  | { readonly type: 'user'; readonly id: string }
  | { readonly type: 'api_key'; readonly id: string; readonly userId: string }
  | { readonly type: 'channel'; readonly channel: string; readonly externalId: string; readonly userId?: string }
  | { readonly type: 'model'; readonly familiarId: string; readonly userId?: string }
  | { readonly type: 'anonymous'; readonly ip?: string }
  | { readonly type: 'system' };

export type AuditOutcome = 'success' | 'failure' | 'denied' | 'pending';

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
