import type { MemoryDb, MemoryKind, Provenance } from './tables.js';

export type Metadata = Readonly<Record<string, string | number | boolean>>;

/** A long-term memory as handed out by the repository (MEM-2). */
export interface Memory {
  readonly id: string;
  readonly userId: string;
  readonly familiarId: string;
  readonly kind: MemoryKind;
  readonly text: string;
  readonly metadata: Metadata;
  readonly provenance: Provenance;
  readonly sourceRef: string | null;
  readonly version: number;
  readonly createdAt: number;
  readonly updatedAt: number;
}

interface MemoryVersion {
  readonly version: number;
  readonly text: string;
  readonly metadata: Metadata;
  readonly provenance: Provenance;
  readonly change: 'create' | 'update';
  readonly at: number;
}

export interface NewMemory {
  readonly userId: string;
  readonly familiarId: string;
  readonly text: string;
  readonly metadata?: Metadata | undefined;
  readonly provenance: Provenance;
  readonly kind?: MemoryKind;
  readonly sourceRef?: string | null | undefined;
  /** Indexed with a lower weight but not part of the text (the turns around a past turn). */
  readonly context?: string | undefined;
}

interface MemorySearch {
  readonly userId: string;
  readonly familiarId?: string | undefined;
  readonly q: string;
  readonly kinds?: readonly MemoryKind[] | undefined;
  readonly metadata?: Metadata | undefined;
  readonly limit?: number | undefined;
  /**
   * A limit per kind instead of `limit` (the kinds searched are its keys): the best of each kind
   * in one pass over the index, as the turn retrieves memories and past turns together.
   */
  readonly perKind?: Readonly<Partial<Record<MemoryKind, number>>> | undefined;
}

export type ScoredMemory = Memory & { readonly score: number };

export interface TurnRecord {
  readonly userId: string;
  readonly familiarId: string;
  readonly conversationId: string;
  /** Time-ordered message id: turns of a conversation sort by it. */
  readonly messageId: string;
  readonly role: 'user' | 'assistant';
  readonly text: string;
}

/** Every method is scoped to its owner: a foreign id behaves exactly like a missing one (DATA-4). */
export interface MemoryRepository {
  add(input: NewMemory): Promise<Memory>;
  /** One transaction for many rows (imports, turn indexing, benchmarks). */
  addMany(inputs: readonly NewMemory[]): Promise<number>;
  get(userId: string, id: string): Promise<Memory | undefined>;
  list(query: {
    userId: string;
    familiarId?: string | undefined;
    kinds?: readonly MemoryKind[];
    limit?: number;
    before?: number;
  }): Promise<Memory[]>;
  update(userId: string, id: string, patch: { text?: string | undefined; metadata?: Metadata | undefined }): Promise<Memory | undefined>;
  delete(userId: string, id: string): Promise<boolean>;
  history(userId: string, id: string): Promise<MemoryVersion[] | undefined>;
  /** Hybrid search: BM25 over the person's scoped index, fused with vectors when an embedder is configured. */
  search(query: MemorySearch): Promise<ScoredMemory[]>;
  /** Removes every memory, version, index row, vector and queue entry of a person (DATA-5). */
  eraseUser(userId: string): Promise<number>;
  /** Moves every memory, version, vector and queue entry of `from` to `to`, re-scoping the index (#15 merge); returns how many. */
  reassignUser(from: string, to: string): Promise<number>;
  /**
   * Stores and indexes one message of a conversation as a past turn, off the caller's path: it is
   * written with the other turns of the same tick in one transaction, and every read of this
   * repository waits for it first. The promise settles when it is written.
   */
  addTurn(turn: TurnRecord): Promise<void>;
  /** Waits until every queued turn is written (shutdown). */
  flush(): Promise<void>;
  /** Removes stored turns older than `before` (retention); returns how many. */
  pruneTurns(before: number): Promise<number>;
  /**
   * Removes the indexed turns of one conversation (rows, index entries, vectors, queue rows) inside
   * the caller's transaction `tx`, so they go with the conversation. Call `flush` before opening it:
   * queued turns must be written first, and they cannot be while `tx` holds the connection.
   */
  removeConversation(tx: MemoryDb, userId: string, conversationId: string): Promise<number>;
  /** Removes the indexed turns of some messages (a deleted message, the turns an edit replaced) inside `tx`; rebuilds their neighbours' context. */
  removeMessages(tx: MemoryDb, userId: string, conversationId: string, messageIds: readonly string[]): Promise<number>;
  /** How many memories and indexed turns are kept with a familiar, for every person. */
  countFamiliar(familiarId: string): Promise<{ memories: number; turns: number }>;
  /** Removes every memory and indexed turn kept with a familiar, for every person (the familiar's deletion). */
  eraseFamiliar(familiarId: string): Promise<{ memories: number; turns: number }>;
}
