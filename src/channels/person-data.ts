import type { Kysely } from 'kysely';
import type { PersonData } from '../core/index.js';
import type { CoreTables } from '../storage/index.js';
import type { ChannelTables, IdentityLinks } from './core/index.js';

/** A person's channel identities in their export; their identities and pairing requests gone at erasure (DATA-5). */
export function channelPersonData(identities: IdentityLinks, db: Kysely<CoreTables & ChannelTables>): PersonData {
  return {
    part: 'channels',
    async export(userId) {
      const linked = await identities.list({ userId });
      return { channelIdentities: linked.map((i) => ({ channel: i.channel, externalId: i.externalId, displayName: i.displayName })) };
    },
    async erase(userId) {
      // Pairings of the person's channel ids go with the links; pairings approved for them by id too.
      const channel_identities = await identities.forgetPerson(userId);
      const pairings = await db.deleteFrom('channel_pairings').where('user_id', '=', userId).executeTakeFirst();
      return { channel_identities, channel_pairings: Number(pairings.numDeletedRows) };
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
