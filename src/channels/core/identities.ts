import { randomUUID } from 'node:crypto';

import type { ChannelDb, ChannelTables } from './tables.js';

interface ChannelIdentity {
  readonly channel: string;
  readonly externalId: string;
  readonly userId: string;
  readonly displayName: string | null;
  readonly createdAt: number;
}

/** Channel identities → Hearth people; a person met on Telegram and on the web is one person once linked. */
export interface IdentityLinks {
  find(channel: string, externalId: string): Promise<ChannelIdentity | undefined>;
  /**
   * Links (or re-links) a channel identity to a person, whoever it spoke as before: the storage
   * step only. Who may do that is decided by `createLinking` (linking.ts), never by the caller.
   */
  link(input: {
    channel: string;
    externalId: string;
    userId: string;
    displayName?: string | null;
  }): Promise<ChannelIdentity & { readonly previousUserId: string | null }>;
  /** The existing link, or a new one to `userId`; safe under concurrent first messages. */
  ensure(input: { channel: string; externalId: string; userId: string; displayName?: string | null }): Promise<ChannelIdentity>;
  unlink(channel: string, externalId: string): Promise<boolean>;
  /** Erasure (DATA-5): removes every channel identity of a person, their pairing records and link codes; returns how many rows. */
  forgetPerson(userId: string): Promise<number>;
  list(filter?: { channel?: string; userId?: string }): Promise<ChannelIdentity[]>;
}

/** A fresh person id for someone known only on a channel, until they link a web account (a link code) or the owner attaches one. */
export function newPersonId(): string {
  return `person_${randomUUID()}`;
}

function toIdentity(r: ChannelTables['channel_identities']): ChannelIdentity {
  return { channel: r.channel, externalId: r.external_id, userId: r.user_id, displayName: r.display_name, createdAt: Number(r.created_at) };
}

/** Builds the identity-link repository over its table (SQLite and PostgreSQL). */
export function createIdentityLinks(options: { db: ChannelDb; now: () => number }): IdentityLinks {
  const { db, now } = options;
  const find = async (channel: string, externalId: string) => {
    const row = await db
      .selectFrom('channel_identities')
      .selectAll()
      .where('channel', '=', channel)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row ? toIdentity(row) : undefined;
  };
  return {
    find,
    async link({ channel, externalId, userId, displayName = null }) {
      const previous = await db.transaction().execute(async (tx) => {
        const before = await tx
          .selectFrom('channel_identities')
          .select(['user_id', 'display_name'])
          .where('channel', '=', channel)
          .where('external_id', '=', externalId)
          .executeTakeFirst();
        await tx.deleteFrom('channel_identities').where('channel', '=', channel).where('external_id', '=', externalId).execute();
        await tx
          .insertInto('channel_identities')
          .values({
            channel,
            external_id: externalId,
            user_id: userId,
            display_name: displayName ?? before?.display_name ?? null,
            created_at: now(),
          })
          .execute();
        return before?.user_id ?? null;
      });
      const linked = await find(channel, externalId);
      if (!linked) throw new Error('identity link vanished');
      return { ...linked, previousUserId: previous };
    },
    async ensure({ channel, externalId, userId, displayName = null }) {
      await db
        .insertInto('channel_identities')
        .values({ channel, external_id: externalId, user_id: userId, display_name: displayName, created_at: now() })
        .onConflict((oc) => oc.columns(['channel', 'external_id']).doNothing())
        .execute();
      const linked = await find(channel, externalId);
      if (!linked) throw new Error('identity link vanished');
      return linked;
    },
    async forgetPerson(userId) {
      return db.transaction().execute(async (tx) => {
        const ids = await tx.selectFrom('channel_identities').select(['channel', 'external_id']).where('user_id', '=', userId).execute();
        let removed = 0;
        for (const { channel, external_id } of ids) {
          const p = await tx
            .deleteFrom('channel_pairings')
            .where('channel', '=', channel)
            .where('external_id', '=', external_id)
            .executeTakeFirst();
          const c = await tx
            .deleteFrom('channel_link_codes')
            .where('channel', '=', channel)
            .where('external_id', '=', external_id)
            .executeTakeFirst();
          removed += Number(p.numDeletedRows) + Number(c.numDeletedRows);
        }
        const codes = await tx.deleteFrom('channel_link_codes').where('user_id', '=', userId).executeTakeFirst();
        removed += Number(codes.numDeletedRows);
        const r = await tx.deleteFrom('channel_identities').where('user_id', '=', userId).executeTakeFirst();
        return removed + Number(r.numDeletedRows);
      });
    },
    async unlink(channel, externalId) {
      const r = await db
        .deleteFrom('channel_identities')
        .where('channel', '=', channel)
        .where('external_id', '=', externalId)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },
    async list(filter = {}) {
      let q = db.selectFrom('channel_identities').selectAll();
      if (filter.channel) q = q.where('channel', '=', filter.channel);
      if (filter.userId) q = q.where('user_id', '=', filter.userId);
      return (await q.orderBy('created_at').execute()).map(toIdentity);
    },
  };
}
