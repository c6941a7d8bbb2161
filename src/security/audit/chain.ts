import { createHmac, timingSafeEqual } from 'node:crypto';

/** The stored columns an entry's MAC covers, exactly as stored (JSON text included). */
export interface StoredEntry {
  seq: number;
  at: number;
  actor_type: string;
  actor_user_id: string | null;
  actor: string;
  action: string;
  target: string | null;
  outcome: string;
  request_id: string | null;
  details: string | null;
  /** v2: the subject key ids (comma-separated) the personal fields are sealed under; null for v1 entries. */
  sealed_for: string | null;
  /** v2: the sealed actor, target and details (see personal.ts). */
  personal: string | null;
}

export type AuditTables = {
  /** target_tag: a keyed hash of a sealed entry's target, for filtering; outside the chain so erasure can clear it. */
  audit_log: StoredEntry & { mac: string; target_tag: string | null };
  /** Which subject keys each sealed entry needs: finds a person's entries, and is deleted with the person. */
  audit_subjects: { seq: number; key_id: string };
  audit_head: { id: number; seq: number; mac: string };
  audit_checkpoint: { id: number; seq: number; mac: string; at: number; pruned: number; signature: string };
};

/** HMAC-SHA256 over the previous MAC and this entry: editing, dropping or moving any entry breaks the chain. */
export function entryMac(key: Buffer, prevMac: string, e: StoredEntry): string {
  // v2 entries (personal fields sealed) add the key ids and the ciphertext; v1 entries keep their MAC.
  const sealed = e.sealed_for === null || e.sealed_for === undefined ? [] : [e.sealed_for, e.personal];
  const payload = JSON.stringify([
    sealed.length > 0 ? 'hearth-audit/v2' : 'hearth-audit/v1',
    prevMac,
    Number(e.seq),
    Number(e.at),
    e.actor_type,
    e.actor_user_id,
    e.actor,
    e.action,
    e.target,
    e.outcome,
    e.request_id,
    e.details,
    ...sealed,
  ]);
  return createHmac('sha256', key).update(payload).digest('hex');
}

/** Signature of the retention checkpoint: the chain MAC at `seq`, vouched for by the audit key. */
export function checkpointSignature(key: Buffer, c: { seq: number; mac: string; at: number; pruned: number }): string {
  return createHmac('sha256', key)
    .update(JSON.stringify(['hearth-audit-checkpoint/v1', Number(c.seq), c.mac, Number(c.at), Number(c.pruned)]))
    .digest('hex');
}

/** Constant-time comparison of two hex MACs. */
export function macEquals(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
