import type BetterSqlite3 from 'better-sqlite3';
import type { Role } from '../core/index.js';
import type { IdentityDb } from './tables.js';

interface KeyLookupRow {
  id: string;
  userId: string;
  scopes: string;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
  role: Role;
}

interface SessionLookupRow {
  id: string;
  userId: string;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
  role: Role;
}

/** The two lookups on every authenticated request; always a fresh read, so revocation is immediate. */
export interface CredentialLookup {
  apiKey(hash: string): Promise<KeyLookupRow | undefined>;
  session(hash: string): Promise<SessionLookupRow | undefined>;
}

const KEY_SQL =
  'select k.id as "id", k.user_id as "userId", k.scopes as "scopes", k.expires_at as "expiresAt", k.revoked_at as "revokedAt", k.last_used_at as "lastUsedAt", u.role as "role" from identity_api_keys k join identity_users u on u.id = k.user_id where k.key_hash = ?';
const SESSION_SQL =
  'select s.id as "id", s.user_id as "userId", s.last_seen_at as "lastSeenAt", s.expires_at as "expiresAt", s.revoked_at as "revokedAt", u.role as "role" from identity_sessions s join identity_users u on u.id = s.user_id where s.token_hash = ?';

/**
 * On SQLite, prepared statements (about 12 µs against about 330 µs through the query builder,
 * bench/http.ts); on PostgreSQL, the query builder.
 */
export function createCredentialLookup(db: IdentityDb, sqlite: BetterSqlite3.Database | undefined): CredentialLookup {
  if (sqlite) {
    const key = sqlite.prepare<[string], KeyLookupRow>(KEY_SQL);
    const session = sqlite.prepare<[string], SessionLookupRow>(SESSION_SQL);
    return { apiKey: async (hash) => key.get(hash), session: async (hash) => session.get(hash) };
  }
  return {
    apiKey: (hash) =>
      db
        .selectFrom('identity_api_keys')
        .innerJoin('identity_users', 'identity_users.id', 'identity_api_keys.user_id')
        .select([
          'identity_api_keys.id as id',
          'identity_api_keys.user_id as userId',
          'identity_api_keys.scopes as scopes',
          'identity_api_keys.expires_at as expiresAt',
          'identity_api_keys.revoked_at as revokedAt',
          'identity_api_keys.last_used_at as lastUsedAt',
          'identity_users.role as role',
        ])
        .where('identity_api_keys.key_hash', '=', hash)
        .executeTakeFirst(),
    session: (hash) =>
      db
        .selectFrom('identity_sessions')
        .innerJoin('identity_users', 'identity_users.id', 'identity_sessions.user_id')
        .select([
          'identity_sessions.id as id',
          'identity_sessions.user_id as userId',
          'identity_sessions.last_seen_at as lastSeenAt',
          'identity_sessions.expires_at as expiresAt',
          'identity_sessions.revoked_at as revokedAt',
          'identity_users.role as role',
        ])
        .where('identity_sessions.token_hash', '=', hash)
        .executeTakeFirst(),
  };
}
