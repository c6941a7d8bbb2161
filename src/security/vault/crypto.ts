import { createHmac, hkdfSync } from 'node:crypto';

const KEY_ID_LABEL = 'hearth/key-id/v1';
const HKDF_SALT = Buffer.from('hearth/hkdf/v1', 'utf8');

/** A short public identifier of a master key: the first 4 bytes of HMAC(key, label), hex. */
export function masterKeyId(masterKey: Buffer): string {
  return createHmac('sha256', masterKey).update(KEY_ID_LABEL).digest('hex').slice(0, 8);
}

/** HKDF-SHA256 sub-key for one purpose; distinct purposes never share a key (DATA-1). */
export function hkdf(masterKey: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, HKDF_SALT, Buffer.from(purpose, 'utf8'), 32));
}
