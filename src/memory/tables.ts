import type { Generated, Kysely } from 'kysely';
import type { CoreTables } from '../storage/index.js';

/** Provenance of a memory, kept apart from its text (MEM-2); `external` is always untrusted. */
export type Provenance = 'owner' | 'person' | 'familiar' | 'external';
/** A long-term memory, or a stored past turn indexed for retrieval. */
export type MemoryKind = 'memory' | 'turn';

/** Tables owned by memory (migration 0400_memory). Timestamps are integer milliseconds. */
export type MemoryTables = {
  memory_items: {
    seq: Generated<number>;
    id: string;
    user_id: string;
    familiar_id: string;
    kind: MemoryKind;
    text: string;
    /** JSON object of string | number | boolean values. */
    metadata: string;
    provenance: Provenance;
    /** conversation:message for turns, free text for imports. */
    source_ref: string | null;
    /** Extra text indexed with a lower weight, never shown (e.g. the neighbouring turns). */
    context: string | null;
    version: number;
    created_at: number;
    updated_at: number;
  };
  memory_versions: {
    memory_id: string;
    user_id: string;
    version: number;
    text: string;
    metadata: string;
    provenance: Provenance;
    change: 'create' | 'update';
    changed_at: number;
  };
  /** Memories waiting for an embedding (computed in the background). */
  memory_embed_queue: {
    seq: number;
    user_id: string;
    enqueued_at: number;
    attempts: number;
  };
  /** int8-quantized unit vectors, searched per person (vector-index.ts). */
  memory_vectors: {
    seq: number;
    user_id: string;
    dims: number;
    data: Buffer;
  };
};

/** The database handle (or transaction) memory code works with. */
export type MemoryDb = Kysely<CoreTables & MemoryTables>;
