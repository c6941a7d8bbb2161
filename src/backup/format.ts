import { HearthError } from '../core/index.js';
import type { HearthVault } from '../security/vault/index.js';

export const MAGIC = Buffer.from('HEARTHBK', 'ascii');
export const TAG_BYTES = 16;
export const MAX_HEADER_BYTES = 4_096;
/** Largest header of one archive entry (its JSON description). */
export const MAX_ENTRY_HEADER_BYTES = 4_096;

export type BackupDialect = 'sqlite' | 'postgres';

/**
 * Plain-text header of a backup file: authenticated (AAD), not secret. Version 1 held only the
 * SQLite file; version 2 holds a sequence of entries (see `ArchiveEntry`).
 */
export interface BackupHeader {
  readonly v: 1 | 2;
  readonly keyId: string;
  /** Random per-backup salt (hex): the key is HKDF(master, `backup:<salt>`). */
  readonly salt: string;
  readonly nonce: string;
  readonly createdAt: number;
  readonly dialect: BackupDialect;
}

/**
 * One entry of a version-2 archive, inside the encryption: a u32 BE length, this JSON, then `size`
 * bytes of data. Paths are relative to the data directory, `/`-separated.
 */
export type ArchiveEntry =
  | { readonly t: 'sqlite'; readonly size: number }
  | { readonly t: 'dir'; readonly path: string }
  | { readonly t: 'file'; readonly path: string; readonly size: number }
  /** PostgreSQL: the applied migrations (JSON array of names), before any table. */
  | { readonly t: 'pg-migrations'; readonly size: number }
  /** PostgreSQL: up to a few thousand rows of one table, a JSON array of `row_to_json` objects. */
  | { readonly t: 'pg-rows'; readonly table: string; readonly rows: number; readonly size: number }
  /** Last entry: what the archive holds, checked on restore. */
  | { readonly t: 'end'; readonly files: number; readonly rows: number };

/** Code names the operator sees; messages never include key material. */
export type BackupErrorCode =
  | 'BACKUP_UNSUPPORTED'
  | 'BACKUP_MALFORMED'
  | 'BACKUP_WRONG_KEY'
  | 'BACKUP_TAMPERED'
  | 'BACKUP_CORRUPT'
  | 'BACKUP_INCOMPATIBLE'
  | 'BACKUP_TARGET_IN_USE'
  | 'BACKUP_TARGET_NOT_EMPTY'
  | 'BACKUP_SOURCE_CHANGED';

export class BackupError extends HearthError<BackupErrorCode> {}

/** The per-backup AES-256-GCM key, derived from the master key named in the header. */
export function backupKey(vault: HearthVault, header: BackupHeader): Buffer {
  return vault.deriveKey(`backup:${header.salt}`, header.keyId);
}

function lengthPrefixed(json: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([len, json]);
}

/** Bytes that precede the ciphertext: magic, header length (u32 BE), header JSON. Also the AAD. */
export function encodePrefix(header: BackupHeader): Buffer {
  return Buffer.concat([MAGIC, lengthPrefixed(Buffer.from(JSON.stringify(header), 'utf8'))]);
}

/** The plaintext bytes that introduce one entry (its data follows). */
export function encodeEntry(entry: ArchiveEntry): Buffer {
  return lengthPrefixed(Buffer.from(JSON.stringify(entry), 'utf8'));
}

const SIZE = (v: unknown) => Number.isSafeInteger(v) && (v as number) >= 0;

/** Parses an entry header; anything unexpected is a damaged archive (it passed authentication, so a bug or a foreign writer). */
export function parseEntry(raw: Buffer): ArchiveEntry {
  let e: Record<string, unknown>;
  try {
    e = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new BackupError('BACKUP_MALFORMED', 'an archive entry is damaged');
  }
  const ok =
    (e.t === 'sqlite' && SIZE(e.size)) ||
    (e.t === 'dir' && typeof e.path === 'string') ||
    (e.t === 'file' && typeof e.path === 'string' && SIZE(e.size)) ||
    (e.t === 'pg-migrations' && SIZE(e.size)) ||
    (e.t === 'pg-rows' && typeof e.table === 'string' && SIZE(e.rows) && SIZE(e.size)) ||
    (e.t === 'end' && SIZE(e.files) && SIZE(e.rows));
  if (!ok) throw new BackupError('BACKUP_MALFORMED', 'an archive entry is damaged or from an unknown version');
  return e as unknown as ArchiveEntry;
}

/** Bytes of data that follow an entry header. */
export function entryDataSize(entry: ArchiveEntry): number {
  return 'size' in entry ? entry.size : 0;
}
