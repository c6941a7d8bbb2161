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

/** What an API may show of a stored secret: its last four characters. */
export function maskSecret(secret: string): string {
  return secret.length <= 4 ? '••••' : `••••${secret.slice(-4)}`;
}
