import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { HearthError } from '../core/index.js';
import { dataKey, VaultError, type Vault } from '../security/vault/index.js';
import type { Storage } from '../storage/index.js';

/**
 * Column-level encryption of memory text on PostgreSQL (DATA-2, `HEARTH_DATABASE_ENCRYPTION=on`).
 *
 * Keys: one random 256-bit data key (vault data key `memory.text`), sealed by the vault under the
 * master key, so `hearth keys rotate` re-seals it with everything else and no memory row has to be
 * rewritten when the master key changes. Two keys are derived from it with HKDF-SHA256, each with
 * its own purpose label: the AEAD key (AES-256-GCM) and the blind-index key (HMAC-SHA256). A value
 * is `hm1:<keyId>:<base64url(nonce | ciphertext | tag)>`, the key id being the first 4 bytes of an
 * HMAC of the data key (identifies it, reveals nothing), and the record it belongs to (table,
 * column, row id) is the associated data: a ciphertext copied into another row does not open.
 */

export type MemoryCryptoCode = 'MEMORY_KEY_WRONG' | 'MEMORY_DECRYPT_FAILED' | 'MEMORY_ENCRYPTED';

/** A typed failure naming the record and key id, never the text. */
export class MemoryCryptoError extends HearthError<MemoryCryptoCode> {}

/** Where a sealed value lives: table, column and the row's id (bound as associated data). */
type SealedField = 'memory_items.text' | 'memory_items.context' | 'memory_versions.text' | 'memory_proposals.text';

export interface MemoryCipher {
  readonly keyId: string;
  seal(field: SealedField, rowId: string, plaintext: string): string;
  /** The plaintext; a value not in the sealed format is a row not yet converted and comes back as it is. */
  open(field: SealedField, rowId: string, stored: string): string;
  /** The blind token of one normalized word of one person (16 bytes of HMAC-SHA256). */
  token(userId: string, word: string): Buffer;
}

/** Loads the cipher once, on first use (the data key lives in the database). */
export interface MemoryEncryption {
  cipher(): Promise<MemoryCipher>;
}

const FORMAT = 'hm1';
const NONCE = 12;
const TAG = 16;
const SEALED = /^hm1:([0-9a-f]{8}):([A-Za-z0-9_-]{38,})$/;
const DATA_KEY_PURPOSE = 'memory.text';
const SALT = Buffer.from('hearth/memory/v1', 'utf8');

/** Whether a stored value is in the sealed format (cheap: a prefix test first). */
export const isSealedText = (stored: string): boolean => stored.startsWith('hm1:') && SEALED.test(stored);

const derive = (key: Buffer, label: string) => Buffer.from(hkdfSync('sha256', key, SALT, Buffer.from(label, 'utf8'), 32));

/** The cipher over one data key (exported for tests and the benchmark; the server uses `memoryEncryption`). */
export function createMemoryCipher(key: Buffer): MemoryCipher {
  if (key.length !== 32) throw new Error('memory data key must be 32 bytes');
  const aeadKey = derive(key, 'memory text aes-256-gcm v1');
  const indexKey = derive(key, 'memory blind index hmac-sha256 v1');
  const keyId = createHmac('sha256', key).update('hearth/memory-key-id/v1').digest('hex').slice(0, 8);
  const aad = (field: SealedField, rowId: string) => Buffer.from([FORMAT, keyId, field, rowId].join('\0'), 'utf8');
  return {
    keyId,
    seal(field, rowId, plaintext) {
      const nonce = randomBytes(NONCE);
      const cipher = createCipheriv('aes-256-gcm', aeadKey, nonce);
      cipher.setAAD(aad(field, rowId));
      const body = Buffer.concat([nonce, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${FORMAT}:${keyId}:${body.toString('base64url')}`;
    },
    open(field, rowId, stored) {
      const m = SEALED.exec(stored);
      if (!m) return stored;
      if (m[1] !== keyId)
        throw new MemoryCryptoError(
          'MEMORY_KEY_WRONG',
          `memory text at ${field}#${rowId} was sealed under memory key ${m[1]}, not the configured key ${keyId}`,
        );
      const body = Buffer.from(m[2]!, 'base64url');
      if (body.length < NONCE + TAG) throw new MemoryCryptoError('MEMORY_DECRYPT_FAILED', `memory text at ${field}#${rowId} is malformed`);
      try {
        const decipher = createDecipheriv('aes-256-gcm', aeadKey, body.subarray(0, NONCE));
        decipher.setAAD(aad(field, rowId));
        decipher.setAuthTag(body.subarray(body.length - TAG));
        return Buffer.concat([decipher.update(body.subarray(NONCE, body.length - TAG)), decipher.final()]).toString('utf8');
      } catch {
        throw new MemoryCryptoError(
          'MEMORY_DECRYPT_FAILED',
          `memory text at ${field}#${rowId} (key ${keyId}) failed authentication: altered, or copied from another record`,
        );
      }
    },
    token: (userId, word) => createHmac('sha256', indexKey).update(userId).update('\0').update(word).digest().subarray(0, 16),
  };
}

/**
 * The server's memory encryption: the data key is read (or, on a new install, made) through the
 * vault on first use. A master key other than the one that sealed it fails with MEMORY_KEY_WRONG,
 * never with garbage text.
 */
export function memoryEncryption(options: { storage: Storage; vault: Vault }): MemoryEncryption {
  let loading: Promise<MemoryCipher> | undefined;
  return {
    cipher() {
      loading ??= dataKey(options.storage, options.vault, DATA_KEY_PURPOSE).then(createMemoryCipher, (err: unknown) => {
        loading = undefined;
        if (err instanceof VaultError)
          throw new MemoryCryptoError(
            'MEMORY_KEY_WRONG',
            `the memory encryption key cannot be opened with this master key (${err.code}): set the HEARTH_MASTER_KEY it was made under`,
          );
        throw err;
      });
      return loading;
    },
  };
}
