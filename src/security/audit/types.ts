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
  /**
   * People the entry is about besides those found in it (the actor's person, a person id as target
   * or in an id field of the details): its personal fields are sealed under each one's key (DATA-5).
   */
  readonly subjects?: readonly string[];
}

/** What else a person was known by when entries about them were written (read before the erasure removes it). */
export interface PersonAliases {
  /** Account names anonymous callers acted on (failed logins as that name, with their addresses). */
  readonly names?: readonly string[];
  /** Chat accounts, for entries written while they were linked to no one (unauthorized attempts, pairing requests). */
  readonly channelIdentities?: ReadonlyArray<{ readonly channel: string; readonly externalId: string }>;
}

/** The actor of an entry whose personal fields were erased: only its kind remains. */
export interface ErasedActor {
  readonly type: AuditActor['type'];
  readonly erased: true;
  readonly channel?: string;
  readonly familiarId?: string;
}

/** The append-only, hash-chained audit log. Every security event in Hearth goes through it. */
export interface AuditLog {
  record(event: AuditEvent): Promise<void>;
}

/** One stored entry as read back (GET /api/audit, `hearth audit verify`). */
export interface AuditEntry {
  readonly seq: number;
  readonly at: number;
  readonly actor: AuditActor | ErasedActor;
  readonly action: string;
  readonly target: string | null;
  readonly outcome: AuditOutcome;
  readonly requestId: string | null;
  readonly details: Record<string, unknown> | null;
  /** Set when a subject of the entry was erased: actor, target and details are gone for good. */
  readonly erased?: true;
}

export interface AuditQuery {
  /** Exact action, or a prefix ending in `.` or `*` (e.g. `auth.`). */
  readonly action?: string;
  /** Entries about this person (user or channel person id): as actor, target or named in the details. */
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
  /**
   * Crypto-shreds a person (DATA-5): destroys their subject key, so every entry about them keeps
   * its time, action and outcome and verifies, but its actor, target and details can never be read.
   */
  erasePerson(personId: string, aliases?: PersonAliases): Promise<Record<string, number>>;
  /**
   * A channel-only person merged into another (#15): the entries about `from` stay as they are
   * (sealed, chained) but count as `to`'s, in `to`'s export and in `to`'s erasure.
   */
  reassignPerson(from: string, to: string): Promise<Record<string, number>>;
}
