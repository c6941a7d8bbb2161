import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { hkdf, masterKeyId } from './crypto.js';
import { VaultError, type HearthVault, type SealedColumn, type SecretLocation } from './types.js';

const PREFIX = 'hv1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export interface VaultOptions {
  /** HEARTH_MASTER_KEY (or the development key file): 32 bytes. */
  readonly masterKey: Buffer;
  /** HEARTH_MASTER_KEY_PREVIOUS during rotation. */
  readonly previousMasterKey?: Buffer | undefined;
}

function where(location: SecretLocation): string {
  return `${location.table}.${location.column}#${location.id}`;
}

function aad(keyId: string, location: SecretLocation): Buffer {
  return Buffer.from(['hearth-vault/v1', keyId, location.table, location.column, location.id].join('\u0000'), 'utf8');
}

interface Parsed {
  keyId: string;
  nonce: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

function parse(sealed: string, location?: SecretLocation): Parsed {
  const parts = sealed.split(':');
  const at = location ? ` at ${where(location)}` : '';
  if (parts.length !== 5 || parts[0] !== PREFIX || !/^[0-9a-f]{8}$/.test(parts[1] ?? ''))
    throw new VaultError('VAULT_MALFORMED', `sealed value${at} is malformed`, undefined);
  const keyId = parts[1]!;
  const nonce = Buffer.from(parts[2]!, 'base64url');
  const ciphertext = Buffer.from(parts[3]!, 'base64url');
  const tag = Buffer.from(parts[4]!, 'base64url');
  if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES)
    throw new VaultError('VAULT_MALFORMED', `sealed value${at} (key ${keyId}) is malformed`, keyId);
  return { keyId, nonce, ciphertext, tag };
}

/**
 * Creates the vault (DATA-1): AES-256-GCM, a fresh 96-bit nonce per value, a per-column key
 * derived by HKDF from the master key, the key id and record location as associated data.
 */
export function createVault(options: VaultOptions): HearthVault {
  if (options.masterKey.length !== 32) throw new Error('master key must be 32 bytes');
  const keys = new Map<string, Buffer>();
  const keyId = masterKeyId(options.masterKey);
  keys.set(keyId, options.masterKey);
  const previousKeyId = options.previousMasterKey ? masterKeyId(options.previousMasterKey) : undefined;
  if (options.previousMasterKey && previousKeyId) keys.set(previousKeyId, options.previousMasterKey);
  const derived = new Map<string, Buffer>();
  const columns: SealedColumn[] = [];

  function subKey(id: string, purpose: string): Buffer {
    const cacheKey = `${id}\u0000${purpose}`;
    let k = derived.get(cacheKey);
    if (!k) {
      const master = keys.get(id);
      if (!master) throw new VaultError('VAULT_UNKNOWN_KEY', `no master key with id ${id} is configured`, id);
      k = hkdf(master, purpose);
      derived.set(cacheKey, k);
    }
    return k;
  }

  const known = () => `HEARTH_MASTER_KEY is ${keyId}${previousKeyId ? `, HEARTH_MASTER_KEY_PREVIOUS is ${previousKeyId}` : ''}`;

  return {
    keyId,
    previousKeyId,
    seal(location, plaintext) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', subKey(keyId, `vault:${location.table}.${location.column}`), nonce);
      cipher.setAAD(aad(keyId, location));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [PREFIX, keyId, nonce.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join(':');
    },
    open(location, sealed) {
      const p = parse(sealed, location);
      if (!keys.has(p.keyId))
        throw new VaultError(
          'VAULT_UNKNOWN_KEY',
          `secret at ${where(location)} was sealed with master key ${p.keyId}, which is not configured (${known()})`,
          p.keyId,
        );
      try {
        const decipher = createDecipheriv('aes-256-gcm', subKey(p.keyId, `vault:${location.table}.${location.column}`), p.nonce);
        decipher.setAAD(aad(p.keyId, location));
        decipher.setAuthTag(p.tag);
        return Buffer.concat([decipher.update(p.ciphertext), decipher.final()]).toString('utf8');
      } catch {
        throw new VaultError(
          'VAULT_DECRYPT_FAILED',
          `secret at ${where(location)} (key ${p.keyId}) failed authentication: wrong key, altered data or copied from another record`,
          p.keyId,
        );
      }
    },
    keyIdOf(sealed) {
      return parse(sealed).keyId;
    },
    deriveKey(purpose, id = keyId) {
      return subKey(id, `derived:${purpose}`);
    },
    registerSealedColumn(column) {
      for (const name of [column.table, column.column, column.idColumn])
        if (!IDENT.test(name)) throw new Error(`invalid identifier in sealed column: ${name}`);
      if (!columns.some((c) => c.table === column.table && c.column === column.column)) columns.push({ ...column });
    },
    sealedColumns: () => [...columns],
  };
}
