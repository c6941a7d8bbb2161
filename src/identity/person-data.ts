import type { Kysely } from 'kysely';
import type { PersonData } from '../core/index.js';
import type { CoreTables } from '../storage/index.js';
import type { IdentityTables } from './tables.js';

/** A person's account in their export, and every credential and account row in their erasure (DATA-5). */
export function identityPersonData(db: Kysely<CoreTables & IdentityTables>): PersonData {
  return {
    part: 'identity',
    async export(userId) {
      const user = await db
        .selectFrom('identity_users')
        .select(['id', 'name', 'role', 'created_at'])
        .where('id', '=', userId)
        .executeTakeFirst();
      return { profile: user ? { id: user.id, name: user.name, role: user.role, createdAt: Number(user.created_at) } : { id: userId } };
    },
    erase: (userId) =>
      db.transaction().execute(async (tx) => {
        const count = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows);
        // Children before the account row they point to.
        return {
          identity_sessions: count(await tx.deleteFrom('identity_sessions').where('user_id', '=', userId).executeTakeFirst()),
          identity_api_keys: count(await tx.deleteFrom('identity_api_keys').where('user_id', '=', userId).executeTakeFirst()),
          identity_jwt_subjects: count(await tx.deleteFrom('identity_jwt_subjects').where('user_id', '=', userId).executeTakeFirst()),
          identity_tokens: count(
            await tx
              .deleteFrom('identity_tokens')
              .where((eb) => eb.or([eb('created_by', '=', userId), eb('user_id', '=', userId)]))
              .executeTakeFirst(),
          ),
          identity_users: count(await tx.deleteFrom('identity_users').where('id', '=', userId).executeTakeFirst()),
        };
      }),
  };
}
