import type { Kysely } from 'kysely';
import type { PersonData } from '../core/index.js';
import type { CoreTables } from '../storage/index.js';
import type { ChannelTables, IdentityLinks } from './core/index.js';
import type { FamiliarRouteTables } from './familiars/index.js';

/**
 * The places that are one person's own choice of familiar (issue #22): Discord `/familiar` in their
 * DMs (`dm:ID`) and Telegram `/familiar` in their private chat (`chat:ID`, a private chat's id being
 * the user's). A group's or server's route is its admins' setting, not this person's.
 */
const personalPlaces = (externalId: string) => [`dm:${externalId}`, `chat:${externalId}`];

/** A person's channel identities in their export; their identities and pairing requests gone at erasure (DATA-5). */
export function channelPersonData(identities: IdentityLinks, db: Kysely<CoreTables & ChannelTables & FamiliarRouteTables>): PersonData {
  /** The person's own familiar choices, one query per channel identity (a person has a handful). */
  const choicesOf = async (userId: string) => {
    const out: Array<{ channel: string; place: string; familiarId: string }> = [];
    for (const i of await identities.list({ userId }))
      for (const r of await db
        .selectFrom('channel_familiar_routes')
        .select(['channel', 'place', 'familiar_id'])
        .where('channel', '=', i.channel)
        .where('place', 'in', personalPlaces(i.externalId))
        .execute())
        out.push({ channel: r.channel, place: r.place, familiarId: r.familiar_id });
    return out;
  };
  return {
    part: 'channels',
    async export(userId) {
      const linked = await identities.list({ userId });
      return {
        channelIdentities: linked.map((i) => ({ channel: i.channel, externalId: i.externalId, displayName: i.displayName })),
        familiarChoices: await choicesOf(userId),
      };
    },
    async erase(userId) {
      // Their own familiar choices are keyed by their platform ids: they go before the links that name those ids.
      let choices = 0;
      for (const c of await choicesOf(userId)) {
        const r = await db
          .deleteFrom('channel_familiar_routes')
          .where('channel', '=', c.channel)
          .where('place', '=', c.place)
          .executeTakeFirst();
        choices += Number(r.numDeletedRows);
      }
      // Pairings of the person's channel ids go with the links; pairings approved for them by id too.
      const channel_identities = await identities.forgetPerson(userId);
      const pairings = await db.deleteFrom('channel_pairings').where('user_id', '=', userId).executeTakeFirst();
      return { channel_identities, channel_pairings: Number(pairings.numDeletedRows), ...(choices ? { familiarChoices: choices } : {}) };
    },
    // Last of the parts (plugin order): until it runs, the chat accounts still speak as `from`.
    reassign: (from, to) =>
      db.transaction().execute(async (tx) => {
        const pairings = await tx.updateTable('channel_pairings').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
        await tx.deleteFrom('channel_link_codes').where('user_id', '=', from).execute();
        const moved = await tx.updateTable('channel_identities').set({ user_id: to }).where('user_id', '=', from).executeTakeFirst();
        return { channel_identities: Number(moved.numUpdatedRows), channel_pairings: Number(pairings.numUpdatedRows) };
      }),
  };
}
