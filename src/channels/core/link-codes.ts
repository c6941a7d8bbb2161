import { createHash } from 'node:crypto';
import { newCode, normalizeCode } from './pairing.js';
import type { ChannelDb, ChannelTables } from './tables.js';

/** A link code lives 10 minutes: long enough to switch apps, short enough to be worthless when found later. */
export const LINK_CODE_TTL_MS = 10 * 60 * 1000;
/** 10 characters of a 31-letter alphabet: about 8 × 10^14 codes, against a handful of tries per person (LINK_BUDGET). */
const LINK_CODE_LENGTH = 10;

/**
 * The two halves of a consent: `web` codes are issued to a person signed in on the web and sent
 * from the channel (`/link CODE`); `channel` codes are issued to a channel identity (`/link`) and
 * entered by the person on the web. A code names its half and grants nothing else.
 */
type LinkCodeKind = 'web' | 'channel';

type Row = ChannelTables['channel_link_codes'];

interface WebLinkCode {
  readonly kind: 'web';
  readonly userId: string;
}
interface ChannelLinkCode {
  readonly kind: 'channel';
  readonly channel: string;
  readonly externalId: string;
  readonly displayName: string | null;
}
type LinkCodeOwner = WebLinkCode | ChannelLinkCode;

/** One-time link codes, stored as SHA-256 only (a database reader cannot use a live one). */
export interface LinkCodes {
  /** A new code for `owner`; the owner's earlier unused codes are withdrawn (one live code each). */
  issue(owner: LinkCodeOwner): Promise<{ code: string; expiresAt: number }>;
  /** The live code of this kind, without spending it (the web shows what a channel code links first). */
  peek(kind: LinkCodeKind, code: string): Promise<LinkCodeOwner | undefined>;
  /** Spends a live code of this kind, atomically: of two concurrent uses exactly one wins. */
  spend(kind: LinkCodeKind, code: string): Promise<LinkCodeOwner | undefined>;
}

const hashOf = (code: string) => createHash('sha256').update(normalizeCode(code), 'utf8').digest('hex');

function ownerOf(row: Row): LinkCodeOwner | undefined {
  if (row.kind === 'web' && row.user_id) return { kind: 'web', userId: row.user_id };
  if (row.kind === 'channel' && row.channel && row.external_id)
    return { kind: 'channel', channel: row.channel, externalId: row.external_id, displayName: row.display_name };
  return undefined;
}

/** Builds the link-code store over `channel_link_codes` (SQLite and PostgreSQL). */
export function createLinkCodes(options: { db: ChannelDb; now: () => number; ttlMs?: number }): LinkCodes {
  const { db, now } = options;
  const ttl = options.ttlMs ?? LINK_CODE_TTL_MS;
  const live = async (kind: LinkCodeKind, code: string) =>
    db
      .selectFrom('channel_link_codes')
      .selectAll()
      .where('code_hash', '=', hashOf(code))
      .where('kind', '=', kind)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now())
      .executeTakeFirst();
  return {
    async issue(owner) {
      const t = now();
      const code = newCode(LINK_CODE_LENGTH);
      await db.transaction().execute(async (tx) => {
        // Spent and expired codes are worthless; they go as new ones come, so the table stays small.
        await tx.deleteFrom('channel_link_codes').where('expires_at', '<=', t).execute();
        let withdraw = tx.updateTable('channel_link_codes').set({ used_at: t }).where('used_at', 'is', null);
        withdraw =
          owner.kind === 'web'
            ? withdraw.where('kind', '=', 'web').where('user_id', '=', owner.userId)
            : withdraw.where('kind', '=', 'channel').where('channel', '=', owner.channel).where('external_id', '=', owner.externalId);
        await withdraw.execute();
        await tx
          .insertInto('channel_link_codes')
          .values({
            code_hash: hashOf(code),
            kind: owner.kind,
            user_id: owner.kind === 'web' ? owner.userId : null,
            channel: owner.kind === 'channel' ? owner.channel : null,
            external_id: owner.kind === 'channel' ? owner.externalId : null,
            display_name: owner.kind === 'channel' ? owner.displayName : null,
            created_at: t,
            expires_at: t + ttl,
            used_at: null,
          })
          .execute();
      });
      return { code, expiresAt: t + ttl };
    },
    async peek(kind, code) {
      const row = await live(kind, code);
      return row ? ownerOf(row) : undefined;
    },
    async spend(kind, code) {
      const row = await live(kind, code);
      if (!row) return undefined;
      const r = await db
        .updateTable('channel_link_codes')
        .set({ used_at: now() })
        .where('code_hash', '=', row.code_hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1 ? ownerOf(row) : undefined;
    },
  };
}
