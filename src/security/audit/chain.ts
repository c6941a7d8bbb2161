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
}

export type AuditTables = {
  audit_log: StoredEntry & { mac: string };
  audit_head: { id: number; seq: number; mac: string };
  audit_checkpoint: { id: number; seq: number; mac: string; at: number; pruned: number; signature: string };
};

/** HMAC-SHA256 over the previous MAC and this entry: editing, dropping or moving any entry breaks the chain. */
export function entryMac(key: Buffer, prevMac: string, e: StoredEntry): string {
  const payload = JSON.stringify([
    'hearth-audit/v1',
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
