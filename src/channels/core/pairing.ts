import { randomInt, randomUUID } from 'node:crypto';

import type { ChannelDb, ChannelTables } from './tables.js';

/** Codes expire after one hour (CH-2). */
export const PAIRING_TTL_MS = 60 * 60 * 1000;
/** At most three pending codes per channel (CH-2): a flood of strangers cannot fill the owner's queue. */
export const MAX_PENDING_PER_CHANNEL = 3;
/** No look-alike characters (0/O, 1/I/L), so codes survive being read aloud. */
const ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';
const CODE_LENGTH = 8;

export interface Pairing {
  readonly id: string;
  readonly channel: string;
  readonly externalId: string;
  readonly displayName: string | null;
  readonly code: string;
  readonly status: 'pending' | 'approved' | 'denied';
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly userId: string | null;
}

type PairingRequestResult = { readonly kind: 'created' | 'existing'; readonly pairing: Pairing } | { readonly kind: 'full' };

export type PairingDecision =
  | { readonly kind: 'ok'; readonly pairing: Pairing }
  /** `forbidden`: only the owner attaches a stranger to an existing person; `unknown_person`: no such person. */
  | { readonly kind: 'not_found' | 'expired' | 'decided' | 'forbidden' | 'unknown_person' };

/** Pairing requests: a stranger asks, the owner approves or denies by code or id. */
export interface PairingStore {
  request(input: { channel: string; externalId: string; displayName?: string | null }): Promise<PairingRequestResult>;
  /** Pending, unexpired requests (all channels unless one is named). */
  pending(channel?: string): Promise<Pairing[]>;
  find(ref: { id?: string; code?: string }): Promise<Pairing | undefined>;
  decide(ref: { id?: string; code?: string }, decision: 'approved' | 'denied', by: string, userId?: string): Promise<PairingDecision>;
}

/** A random code that identifies a request and carries no credential (CH-2); link codes are longer. */
export function newCode(length = CODE_LENGTH): string {
  let code = '';
  for (let i = 0; i < length; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** Normalizes what a person typed (`abcd-efgh`, spaces) to the stored form. */
export function normalizeCode(input: string): string {
  return input.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

function toPairing(r: ChannelTables['channel_pairings']): Pairing {
  return {
    id: r.id,
    channel: r.channel,
    externalId: r.external_id,
    displayName: r.display_name,
    code: r.code,
    status: r.status,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    decidedAt: r.decided_at === null ? null : Number(r.decided_at),
    decidedBy: r.decided_by,
    userId: r.user_id,
  };
}

/** Builds the pairing store; limits and expiry are checked inside one transaction. */
export function createPairingStore(options: { db: ChannelDb; now: () => number; ttlMs?: number; maxPending?: number }): PairingStore {
  const { db, now } = options;
  const ttl = options.ttlMs ?? PAIRING_TTL_MS;
  const max = options.maxPending ?? MAX_PENDING_PER_CHANNEL;
  const find = async (ref: { id?: string; code?: string }) => {
    let q = db.selectFrom('channel_pairings').selectAll();
    if (ref.id) q = q.where('id', '=', ref.id);
    else if (ref.code) q = q.where('code', '=', normalizeCode(ref.code));
    else return undefined;
    const row = await q.executeTakeFirst();
    return row ? toPairing(row) : undefined;
  };
  return {
    find,
    async request({ channel, externalId, displayName = null }) {
      return db.transaction().execute(async (tx): Promise<PairingRequestResult> => {
        const t = now();
        const open = await tx
          .selectFrom('channel_pairings')
          .selectAll()
          .where('channel', '=', channel)
          .where('status', '=', 'pending')
          .where('expires_at', '>', t)
          .execute();
        const mine = open.find((r) => r.external_id === externalId);
        if (mine) return { kind: 'existing', pairing: toPairing(mine) };
        if (open.length >= max) return { kind: 'full' };
        const row: ChannelTables['channel_pairings'] = {
          id: randomUUID(),
          channel,
          external_id: externalId,
          display_name: displayName,
          code: newCode(),
          status: 'pending',
          created_at: t,
          expires_at: t + ttl,
          decided_at: null,
          decided_by: null,
          user_id: null,
        };
        await tx.insertInto('channel_pairings').values(row).execute();
        return { kind: 'created', pairing: toPairing(row) };
      });
    },
    async pending(channel) {
      let q = db.selectFrom('channel_pairings').selectAll().where('status', '=', 'pending').where('expires_at', '>', now());
      if (channel) q = q.where('channel', '=', channel);
      return (await q.orderBy('created_at').execute()).map(toPairing);
    },
    async decide(ref, decision, by, userId) {
      const current = await find(ref);
      if (!current) return { kind: 'not_found' };
      if (current.status !== 'pending') return { kind: 'decided' };
      const t = now();
      if (current.expiresAt <= t) return { kind: 'expired' };
      const r = await db
        .updateTable('channel_pairings')
        .set({ status: decision, decided_at: t, decided_by: by, user_id: userId ?? null })
        .where('id', '=', current.id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return { kind: 'decided' };
      return { kind: 'ok', pairing: { ...current, status: decision, decidedAt: t, decidedBy: by, userId: userId ?? null } };
    },
  };
}
