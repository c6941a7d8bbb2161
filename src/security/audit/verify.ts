import type { Storage } from '../../storage/index.js';
import { checkpointSignature, entryMac, macEquals, type AuditTables } from './chain.js';
import type { AuditVerification } from './types.js';

const PAGE = 1_000;

/**
 * Walks the chain from the signed checkpoint (or the beginning) to the head and reports the
 * first entry whose sequence or MAC does not follow: an edit, deletion, insertion or reordering.
 */
export async function verifyChain(storage: Storage, key: Buffer): Promise<AuditVerification> {
  const db = storage.db.withTables<AuditTables>();
  const cp = await db.selectFrom('audit_checkpoint').selectAll().where('id', '=', 1).executeTakeFirst();
  let prevMac = '';
  let expected = 1;
  if (cp) {
    if (!macEquals(checkpointSignature(key, cp), cp.signature))
      return { ok: false, seq: Number(cp.seq), reason: 'retention checkpoint signature is invalid (checkpoint altered)', entries: 0 };
    prevMac = cp.mac;
    expected = Number(cp.seq) + 1;
  }
  const fromSeq = expected;
  let entries = 0;
  for (;;) {
    const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>=', expected).orderBy('seq', 'asc').limit(PAGE).execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected)
        return { ok: false, seq: expected, reason: `entry ${expected} is missing (deleted); next present entry is ${seq}`, entries };
      if (!macEquals(entryMac(key, prevMac, row), row.mac))
        return { ok: false, seq, reason: `entry ${seq} does not match its MAC (edited, inserted or moved)`, entries };
      prevMac = row.mac;
      expected++;
      entries++;
    }
    if (rows.length < PAGE) break;
  }
  const earlier = await db.selectFrom('audit_log').select('seq').where('seq', '<', fromSeq).limit(1).executeTakeFirst();
  if (earlier)
    return { ok: false, seq: Number(earlier.seq), reason: `entry ${Number(earlier.seq)} lies before the chain start (inserted)`, entries };
  const head = await db.selectFrom('audit_head').selectAll().where('id', '=', 1).executeTakeFirst();
  const headSeq = Number(head?.seq ?? 0);
  if (!head || headSeq !== expected - 1 || !macEquals(head.mac, prevMac))
    return {
      ok: false,
      seq: expected,
      reason:
        headSeq > expected - 1
          ? `entries ${expected}..${headSeq} are missing (deleted from the end)`
          : 'chain head does not match the last entry',
      entries,
    };
  return { ok: true, entries, fromSeq, headSeq };
}
