import { HearthError } from '../core/index.js';
import type { HearthVault } from '../security/vault/index.js';

export const MAGIC = Buffer.from('HEARTHBK', 'ascii');
export const TAG_BYTES = 16;
export const MAX_HEADER_BYTES = 4_096;

/** Plain-text header of a backup file: authenticated (AAD), not secret. */
export interface BackupHeader {
  readonly v: 1;
  readonly keyId: string;
  /** Random per-backup salt (hex): the key is HKDF(master, `backup:<salt>`). */
  readonly salt: string;
  readonly nonce: string;
  readonly createdAt: number;
  readonly dialect: 'sqlite';
}

/** Code names the operator sees; messages never include key material. */
export type BackupErrorCode =
  'BACKUP_UNSUPPORTED' | 'BACKUP_MALFORMED' | 'BACKUP_WRONG_KEY' | 'BACKUP_TAMPERED' | 'BACKUP_CORRUPT' | 'BACKUP_TARGET_IN_USE';

export class BackupError extends HearthError<BackupErrorCode> {}

/** The per-backup AES-256-GCM key, derived from the master key named in the header. */
export function backupKey(vault: HearthVault, header: BackupHeader): Buffer {
  return vault.deriveKey(`backup:${header.salt}`, header.keyId);
}

/** Bytes that precede the ciphertext: magic, header length (u32 BE), header JSON. Also the AAD. */
export function encodePrefix(header: BackupHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return Buffer.concat([MAGIC, len, json]);
}
