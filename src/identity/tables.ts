import type { Kysely } from 'kysely';
import type { CoreTables } from '../storage/database.js';
import type { Role } from '../core/index.js';

/** One-time links: first-run setup, invites, and password resets an owner hands to a person. */
export type TokenKind = 'setup' | 'invite' | 'reset';

/** Tables owned by identity (migrations 0100_identity, 0900_identity_password_reset). Timestamps are integer milliseconds. */
export type IdentityTables = {
  identity_users: {
    id: string;
    name: string;
    password_hash: string | null;
    role: Role;
    created_at: number;
    updated_at: number;
  };
  identity_sessions: {
    id: string;
    token_hash: string;
    user_id: string;
    created_at: number;
    last_seen_at: number;
    expires_at: number;
    ip: string | null;
    user_agent: string | null;
    revoked_at: number | null;
  };
  identity_api_keys: {
    id: string;
    user_id: string;
    name: string;
    key_hash: string;
    prefix: string;
    scopes: string;
    created_at: number;
    expires_at: number | null;
    last_used_at: number | null;
    revoked_at: number | null;
  };
  identity_tokens: {
    id: string;
    kind: TokenKind;
    token_hash: string;
    role: Role;
    created_by: string | null;
    /** The person a password-reset link is for (migration 0900); null for setup and invite links. */
    user_id: string | null;
    created_at: number;
    expires_at: number;
    used_at: number | null;
  };
  identity_jwt_subjects: {
    issuer: string;
    subject: string;
    user_id: string;
    created_at: number;
  };
};

/** Identity's view of the database (the core tables plus its own). */
export type IdentityDb = Kysely<CoreTables & IdentityTables>;
