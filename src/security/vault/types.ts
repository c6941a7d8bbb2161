/** The identity of the record a secret belongs to; bound as associated data (DATA-1). */
export interface SecretLocation {
  readonly table: string;
  readonly column: string;
  readonly id: string;
}

/**
 * The one module through which every stored credential passes: AES-256-GCM, a fresh nonce per
 * value, HKDF per-purpose keys from HEARTH_MASTER_KEY, the location as associated data.
 */
export interface Vault {
  /** Returns an opaque string (key id, nonce, ciphertext, tag) to store in place of the secret. */
  seal(location: SecretLocation, plaintext: string): string;
  /** Throws a typed error (naming the key id, never the value) when the key or data is wrong. */
  open(location: SecretLocation, sealed: string): string;
}

/**
 * A column holding sealed values, one per row, sealed with location
 * `{ table, column, id: String(row[idColumn]) }`. Registered so `hearth keys rotate` can
 * re-encrypt every value in one transaction.
 */
export type { SealedColumn } from '../../core/index.js';
import { HearthError, type SealedColumn } from '../../core/index.js';

/** The vault as the composition root builds it: key ids, sub-keys and the sealed-column registry. */
export interface HearthVault extends Vault {
  /** Id of the current master key (8 hex characters; reveals nothing about the key). */
  readonly keyId: string;
  /** Id of HEARTH_MASTER_KEY_PREVIOUS, when set. */
  readonly previousKeyId: string | undefined;
  /** The key id a sealed value names (throws VaultError when malformed). */
  keyIdOf(sealed: string): string;
  /** A 32-byte key for one purpose (e.g. `backup`), derived by HKDF from the master key with that key's id. */
  deriveKey(purpose: string, keyId?: string): Buffer;
  /** Declares a column of sealed values (other concerns call this in their wiring section). */
  registerSealedColumn(column: SealedColumn): void;
  sealedColumns(): readonly SealedColumn[];
}

export type VaultErrorCode = 'VAULT_UNKNOWN_KEY' | 'VAULT_DECRYPT_FAILED' | 'VAULT_MALFORMED';

/** A typed failure naming the key id and record, never the value. */
export class VaultError extends HearthError<VaultErrorCode> {
  constructor(
    code: VaultErrorCode,
    message: string,
    readonly keyId: string | undefined,
  ) {
    super(code, message);
  }
}

/** What an API may show of a stored secret: its last four characters. */
export function maskSecret(secret: string): string {
  return secret.length <= 4 ? '••••' : `••••${secret.slice(-4)}`;
}
