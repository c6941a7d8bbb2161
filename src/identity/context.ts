import type { Logger } from '../logging/index.js';
import type { AuditEvent, AuditLog } from '../security/audit/index.js';
import type { PasswordPolicy } from '../security/passwords/index.js';
import type { Role, Scope } from '../core/index.js';
import type { CredentialLookup } from './lookup.js';
import type { IdentityDb } from './tables.js';

/** What every part of identity shares. */
export interface IdentityContext {
  readonly db: IdentityDb;
  readonly lookup: CredentialLookup;
  readonly audit: AuditLog;
  readonly logger: Logger;
  readonly passwords: PasswordPolicy;
  readonly now: () => number;
  readonly sessionIdleMs: number;
  readonly sessionAbsoluteMs: number;
}

export interface User {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: number;
}

export interface ApiKeyInfo {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly prefix: string;
  readonly scopes: Scope[];
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

export interface SessionInfo {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly ip: string | null;
  readonly userAgent: string | null;
}

/** Records a security event; a failing audit write is logged, never swallowed silently. */
export async function record(ctx: IdentityContext, event: AuditEvent): Promise<void> {
  await ctx.audit.record(event);
}

export const USER_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** Names are case-insensitive: stored lowercased. */
export function normalizeName(name: string): string {
  return name.trim().toLowerCase();
}
